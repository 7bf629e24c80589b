// The server side of the WPT websockets tests, in Node: what WPT's own server (wptserve +
// pywebsocket3) does for the handlers in wpt/websockets/handlers/*_wsh.py, written anew on
// node:net / node:tls. It follows pywebsocket3's model, because the tests depend on it:
// a handler reads frames only when it asks for a message (so a handler that sleeps does not
// answer a close frame meanwhile), a close frame from the client is answered with what the
// handler's passive-closing hook returns (1000 '' by default), a handler that returns
// closes with 1000 and waits for the client's close, permessage-deflate is accepted
// (context takeover both ways) and everything the server sends is compressed.
// It also serves the vendored files over HTTP(S) (idlharness fetches /interfaces/*.idl),
// and WPT's stash-put.py/stash-take.py.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import zlib from 'node:zlib';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handler ended the connection on purpose (pywebsocket's AbortedByUserException). */
class Aborted extends Error {}
/** The peer broke the protocol: the server closes with `code`. */
class FrameError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
/** The TCP connection ended under a handler. */
class Terminated extends Error {}

export function acceptKey(key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

function frame(opcode, payload, rsv1 = false) {
  const length = payload.length;
  const head = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) head[1] = length;
  else if (length < 65536) { head[1] = 126; head.writeUInt16BE(length, 2); }
  else { head[1] = 127; head.writeBigUInt64BE(BigInt(length), 2); }
  return Buffer.concat([head, payload]);
}

function closeBody(code, reason) {
  if (code === null || code === undefined) return Buffer.alloc(0);
  const text = Buffer.from(reason ?? '', 'utf8');
  const body = Buffer.alloc(2 + text.length);
  body.writeUInt16BE(code, 0);
  text.copy(body, 2);
  return body;
}

/** RFC 7230 token list (Sec-WebSocket-Protocol); null if it is not one. */
function tokenList(value) {
  const items = value.split(',').map((item) => item.trim());
  return items.every((item) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(item)) ? items : null;
}

/** One message stream of permessage-deflate (RFC 7692), context kept across messages. */
class DeflateStream {
  constructor(make) {
    this.stream = make();
    this.chain = Promise.resolve();
  }

  run(input) {
    const result = this.chain.then(() => new Promise((resolve, reject) => {
      const chunks = [];
      const onData = (chunk) => chunks.push(chunk);
      this.stream.on('data', onData);
      this.stream.once('error', reject);
      this.stream.write(input);
      this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.stream.off('data', onData);
        this.stream.off('error', reject);
        resolve(Buffer.concat(chunks));
      });
    }));
    this.chain = result.catch(() => {});
    return result;
  }
}

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A WebSocket connection as pywebsocket's request/stream pair. */
class Connection {
  constructor(socket, request) {
    this.socket = socket;
    this.request = request;
    this.pending = Buffer.alloc(0);
    this.ended = false;
    this.wake = null;
    this.clientTerminated = false;
    this.serverTerminated = false;
    this.closeCode = null;
    this.closeReason = null;
    this.inflater = null;
    this.deflater = null;
    this.sendChain = Promise.resolve();
    socket.on('data', (chunk) => { this.pending = Buffer.concat([this.pending, chunk]); this.#notify(); });
    socket.on('end', () => { this.ended = true; this.#notify(); });
    socket.on('close', () => { this.ended = true; this.#notify(); });
    socket.on('error', () => { this.ended = true; this.#notify(); });
  }

  enableDeflate() {
    this.inflater = new DeflateStream(() => zlib.createInflateRaw());
    this.deflater = new DeflateStream(() => zlib.createDeflateRaw());
  }

  #notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async #read(count) {
    while (this.pending.length < count) {
      if (this.ended) throw new Terminated('the connection ended');
      await new Promise((resolve) => { this.wake = resolve; });
    }
    const bytes = this.pending.subarray(0, count);
    this.pending = this.pending.subarray(count);
    return bytes;
  }

  async #readFrame() {
    const head = await this.#read(2);
    const fin = (head[0] & 0x80) !== 0;
    const rsv = (head[0] >> 4) & 7;
    const opcode = head[0] & 0x0f;
    if ((head[1] & 0x80) === 0) throw new FrameError(1002, 'the client did not mask a frame');
    let length = head[1] & 0x7f;
    if (length === 126) length = (await this.#read(2)).readUInt16BE(0);
    else if (length === 127) length = Number((await this.#read(8)).readBigUInt64BE(0));
    const mask = await this.#read(4);
    const payload = Buffer.from(await this.#read(length));
    for (let i = 0; i < payload.length; i += 1) payload[i] ^= mask[i & 3];
    return { fin, rsv, opcode, payload };
  }

  /** The next message (a string or a Buffer), or null once a close frame arrived. */
  async receive() {
    if (this.clientTerminated) throw new Terminated('receive() after the close frame');
    let opcode = -1;
    let compressed = false;
    const parts = [];
    for (;;) {
      const f = await this.#readFrame();
      if (f.opcode >= 8) {
        if (!f.fin || f.payload.length > 125) throw new FrameError(1002, 'a bad control frame');
        if (f.opcode === 0x9) { await this.#write(frame(0xa, f.payload)); continue; }
        if (f.opcode === 0xa) continue;
        if (f.opcode === 0x8) { await this.#onClose(f.payload); return null; }
        throw new FrameError(1002, `reserved control opcode ${f.opcode}`);
      }
      if (f.opcode === 0) {
        if (opcode < 0) throw new FrameError(1002, 'a continuation frame without a message');
        if (f.rsv !== 0) throw new FrameError(1002, 'RSV bits on a continuation frame');
      } else {
        if (opcode >= 0) throw new FrameError(1002, 'a new message inside a fragmented one');
        if (f.opcode !== 1 && f.opcode !== 2) throw new FrameError(1002, `reserved opcode ${f.opcode}`);
        if (f.rsv !== 0 && !(f.rsv === 4 && this.inflater)) throw new FrameError(1002, 'reserved bits set');
        opcode = f.opcode;
        compressed = f.rsv === 4;
      }
      parts.push(f.payload);
      if (f.fin) break;
    }
    let data = Buffer.concat(parts);
    if (compressed) data = await this.inflater.run(Buffer.concat([data, TRAILER]));
    if (opcode === 2) return data;
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      return text.decode(data);
    } catch {
      throw new FrameError(1007, 'invalid UTF-8 in a text message');
    }
  }

  async #onClose(payload) {
    this.clientTerminated = true;
    if (payload.length === 1) throw new FrameError(1002, 'a close frame with a 1-byte body');
    this.closeCode = payload.length === 0 ? 1005 : payload.readUInt16BE(0);
    this.closeReason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
    if (this.serverTerminated) return;
    const handler = this.request.handler;
    const [code, reason] = handler.passiveClose ? await handler.passiveClose(this) : [1000, ''];
    await this.#sendClose(code, code === null ? '' : reason);
  }

  async #sendClose(code, reason) {
    this.serverTerminated = true;
    await this.#write(frame(0x8, closeBody(code, reason)));
  }

  /** Sends a message: a string as text, a Buffer as binary (compressed when negotiated). */
  send(data, binary = typeof data !== 'string') {
    if (data === null || data === undefined) throw new Aborted('nothing to send');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const opcode = binary ? 0x2 : 0x1;
    const step = this.sendChain.then(async () => {
      if (!this.deflater) return this.#write(frame(opcode, bytes));
      const out = await this.deflater.run(bytes);
      const body = out.length >= 4 && out.subarray(-4).equals(TRAILER) ? out.subarray(0, -4) : out;
      return this.#write(frame(opcode, body, true));
    });
    this.sendChain = step.catch(() => {});
    return step;
  }

  ping(data) {
    return this.#write(frame(0x9, Buffer.from(data)));
  }

  /** pywebsocket's close_connection: our close frame, then (mostly) wait for the client's. */
  async closeConnection(code = 1000, reason = '', waitResponse = true) {
    if (this.serverTerminated) return;
    await this.sendChain;
    await this.#sendClose(code, reason);
    if (code === 1001 || code === 1002 || !waitResponse) return;
    const message = await this.receive();
    if (message !== null) throw new Terminated('a message instead of the close frame');
  }

  writeRaw(bytes) {
    return this.#write(Buffer.from(bytes));
  }

  #write(bytes) {
    return new Promise((resolve) => {
      if (this.socket.destroyed) { resolve(); return; }
      this.socket.write(bytes, () => resolve());
    });
  }
}

// ---------------------------------------------------------------------------------------
// The handlers, by path (websockets/handlers/NAME_wsh.py answers /NAME).
// extra(request): the handshake hook (may choose a subprotocol, drop extensions, write raw
// bytes, wait, or throw Aborted). transfer(conn): the connection. passiveClose(conn):
// the answer to the client's close frame, [code or null, reason].
// ---------------------------------------------------------------------------------------

const echoClose = (conn) => [conn.closeCode === 1005 ? null : conn.closeCode, conn.closeReason];
const queryOf = (request) => {
  const at = request.uri.indexOf('?');
  return at < 0 ? '' : request.uri.slice(at + 1);
};
const receiveOne = async (conn) => { await conn.receive(); };

const HANDLERS = {
  echo: {
    extra(request) {
      if (request.requestedProtocols?.includes('echo')) request.protocol = 'echo';
    },
    async transfer(conn) {
      for (;;) {
        const message = await conn.receive();
        if (message === null) return;
        await conn.send(message);
        if (message === 'Goodbye') return;
      }
    },
    passiveClose: echoClose,
  },
  'echo_exit': {
    async transfer(conn) {
      for (;;) {
        const message = await conn.receive();
        if (message === null || message === 'Goodbye') return;
      }
    },
  },
  // As WPT's: the send after `return` in its loop is never reached.
  'echo_close_data': {
    async transfer(conn) {
      for (;;) {
        const message = await conn.receive();
        if (message === null || message === 'Goodbye') return;
      }
    },
  },
  'echo_raw': {
    async transfer(conn) {
      for (;;) {
        const message = await conn.receive();
        if (message === null) return;
        const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
        if (bytes.equals(Buffer.from('exit'))) return;
        await conn.writeRaw(bytes);
      }
    },
  },
  'empty-message': {
    async transfer(conn) {
      const message = await conn.receive();
      await conn.send(message === '' ? 'pass' : 'fail');
    },
  },
  'echo-query': { async transfer(conn) { await conn.send(queryOf(conn.request)); } },
  'echo-query_v13': { async transfer(conn) { await conn.send(queryOf(conn.request)); } },
  'echo-cookie': { async transfer(conn) { await conn.send(conn.request.headers.cookie ?? '(none)'); } },
  origin: { async transfer(conn) { await conn.send(conn.request.headers.origin ?? null); } },
  referrer: { async transfer(conn) { await conn.send(conn.request.headers.referer ?? 'MISSING AS PER FETCH'); } },
  protocol: {
    extra(request) { request.protocol = request.headers['sec-websocket-protocol'] ?? null; },
    async transfer(conn) { await conn.send(conn.request.protocol); },
  },
  'protocol_array': {
    extra(request) { request.protocol = (request.headers['sec-websocket-protocol'] ?? '').split(',', 1)[0]; },
    async transfer(conn) { await conn.send(conn.request.protocol); },
  },
  'handshake_protocol': { extra(request) { request.protocol = 'foobar'; } },
  'handshake_no_protocol': { extra(request) { request.requestedProtocols = null; } },
  'handshake_no_extensions': { extra(request) { request.deflate = false; } },
  'handshake_sleep_2': { async extra() { await sleep(2000); } },
  'sleep_10_v13': {
    async extra() { await sleep(10000); },
    async transfer(conn) {
      for (;;) {
        const message = await conn.receive();
        if (message === 'Goodbye') return;
        await conn.send(message, false);
      }
    },
  },
  invalid: { async extra(request) { await request.write(Buffer.from('FOO BAR BAZ\r\n\r\n')); } },
  'wrong_accept_key': {
    async extra(request) {
      await request.write(Buffer.from(
        'HTTP/1.1 101 Switching Protocols:\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n' +
        `Sec-WebSocket-Origin: ${request.headers.origin ?? ''}\r\nSec-WebSocket-Accept: thisisawrongacceptkey\r\n\r\n`,
      ));
    },
    async transfer(conn) { await conn.send('test'); },
  },
  'simple_handshake': {
    async extra(request) {
      const close = frame(0x8, closeBody(1001, 'PASS'));
      await request.write(Buffer.concat([Buffer.from(
        'HTTP/1.1 101 Switching Protocols:\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\nSet-Cookie: ws_test=test\r\n' +
        `Sec-WebSocket-Origin: ${request.headers.origin ?? ''}\r\n` +
        `Sec-WebSocket-Accept: ${acceptKey(request.headers['sec-websocket-key'])}\r\n\r\n`,
      ), close]));
      await request.readRaw(close.length + 4);
      throw new Aborted('abort after the close frame');
    },
  },
  'basic_auth': {
    async extra(request) {
      if (request.headers.authorization !== 'Basic Zm9vOmJhcg==') {
        await request.write(Buffer.from(
          'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nWWW-Authenticate: Basic realm="camelot"\r\n\r\n',
        ));
        throw new Aborted('no credentials');
      }
    },
    async transfer() {},
  },
  'delayed-passive-close': {
    transfer: receiveOne,
    async passiveClose(conn) {
      await sleep(1000);
      return echoClose(conn);
    },
  },
  'passive-close-abort': {
    async transfer(conn) {
      while ((await conn.receive()) !== null);
    },
    passiveClose() { throw new Aborted('abrupt close'); },
  },
  'remote-close': {
    async transfer(conn) {
      const params = new URLSearchParams(queryOf(conn.request));
      if (params.has('abrupt')) {
        await conn.ping('ping');
        throw new Aborted('abrupt');
      }
      const code = params.has('code') ? Number.parseInt(params.get('code'), 10) : null;
      await conn.closeConnection(code, code === null ? '' : params.get('reason') ?? '');
    },
  },
  'receive-backpressure': {
    extra(request) { request.deflate = false; },
    async transfer(conn) {
      await sleep(2000);
      await conn.receive();
    },
  },
  'receive-many-with-backpressure': {
    extra(request) { request.deflate = false; },
    async transfer(conn) {
      for (;;) {
        await sleep(100);
        const message = await conn.receive();
        if (message === null) return;
        await conn.send(String(typeof message === 'string' ? message.length : message.length), false);
      }
    },
  },
  'send-backpressure': {
    extra(request) { request.deflate = false; },
    async transfer(conn) {
      await conn.send(Buffer.alloc(0), true);
      const start = Date.now();
      for (let i = 0; i < 16; i += 1) await conn.send(Buffer.alloc(1024 * 1024, 0x20), true);
      await conn.send(String((Date.now() - start) / 1000), false);
    },
  },
  'set-cookie': {
    extra(request) { request.extraHeaders.push(['Set-Cookie', `ws_test_${queryOf(request)}=test; Path=/`]); },
    transfer: receiveOne,
  },
  'set-cookie-secure': {
    extra(request) { request.extraHeaders.push(['Set-Cookie', `ws_test_${queryOf(request)}=test; Secure; Path=/`]); },
    transfer: receiveOne,
  },
  'set-cookie_http': {
    extra(request) {
      request.extraHeaders.push(['Set-Cookie',
        `ws_test_${queryOf(request)}=test; Path=/; HttpOnly\r\nSec-WebSocket-Origin: ${request.headers.origin ?? ''}`]);
    },
    transfer: receiveOne,
  },
};

// ---------------------------------------------------------------------------------------
// The opening handshake (pywebsocket's hybi handshake, RFC 6455 section 4.2).
// ---------------------------------------------------------------------------------------

function parseHead(text) {
  const [requestLine, ...lines] = text.split('\r\n');
  const [method, uri, version] = requestLine.split(' ');
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method, uri, version, headers };
}

function httpError(socket, status, text) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

async function serveConnection(socket, log) {
  let pending = Buffer.alloc(0);
  let wake = null;
  let ended = false;
  const onData = (chunk) => { pending = Buffer.concat([pending, chunk]); wake?.(); };
  const onEnd = () => { ended = true; wake?.(); };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onEnd);
  socket.on('close', onEnd);
  const readUntil = async (done) => {
    while (!done()) {
      if (ended) throw new Terminated('the client went away during the handshake');
      await new Promise((resolve) => { wake = resolve; });
      wake = null;
    }
  };
  await readUntil(() => pending.includes('\r\n\r\n'));
  const end = pending.indexOf('\r\n\r\n');
  const head = parseHead(pending.subarray(0, end).toString('latin1'));
  pending = pending.subarray(end + 4);
  const name = head.uri.split('?', 1)[0].split('#', 1)[0].replace(/^\//, '');
  const handler = HANDLERS[name];
  log(`${head.method} ${head.uri} -> ${handler ? name : '404'}`);
  const h = head.headers;
  if (!handler) return httpError(socket, 404, 'Not Found');
  if (head.method !== 'GET' || !/\bwebsocket\b/i.test(h.upgrade ?? '') || !/\bupgrade\b/i.test(h.connection ?? '')) {
    return httpError(socket, 400, 'Bad Request');
  }
  if (h['sec-websocket-version'] !== '13') return httpError(socket, 426, 'Upgrade Required');
  const key = h['sec-websocket-key'] ?? '';
  if (Buffer.from(key, 'base64').length !== 16) return httpError(socket, 400, 'Bad Request');
  const request = {
    uri: head.uri,
    headers: h,
    handler,
    requestedProtocols: null,
    protocol: null,
    deflate: false,
    deflateResponse: 'permessage-deflate',
    extraHeaders: [],
    write: (bytes) => new Promise((resolve) => socket.write(bytes, () => resolve())),
    readRaw: async (count) => {
      await readUntil(() => pending.length >= count);
      const bytes = pending.subarray(0, count);
      pending = pending.subarray(count);
      return bytes;
    },
  };
  if (h['sec-websocket-protocol'] !== undefined) {
    request.requestedProtocols = tokenList(h['sec-websocket-protocol']);
    if (!request.requestedProtocols) return httpError(socket, 400, 'Bad Request');
  }
  for (const offer of (h['sec-websocket-extensions'] ?? '').split(',')) {
    const [extension, ...params] = offer.split(';').map((part) => part.trim());
    if (extension !== 'permessage-deflate' || request.deflate) continue;
    const names = params.map((param) => param.split('=')[0].trim());
    if (names.every((param) => ['server_no_context_takeover', 'client_max_window_bits'].includes(param))) {
      request.deflate = true;
      if (names.includes('server_no_context_takeover')) request.deflateResponse += '; server_no_context_takeover';
    }
  }
  try {
    await handler.extra?.(request);
  } catch (err) {
    if (err instanceof Aborted || err instanceof Terminated) { socket.destroy(); return undefined; }
    throw err;
  }
  if (request.requestedProtocols !== null ? request.protocol === null || tokenList(request.protocol)?.length !== 1
    : request.protocol !== null) {
    return httpError(socket, 400, 'Bad Request');
  }
  let response = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n`;
  if (request.protocol !== null) response += `Sec-WebSocket-Protocol: ${request.protocol}\r\n`;
  if (request.deflate) response += `Sec-WebSocket-Extensions: ${request.deflateResponse}\r\n`;
  for (const [field, value] of request.extraHeaders) response += `${field}: ${value}\r\n`;
  response += '\r\n';
  socket.off('data', onData);
  socket.off('end', onEnd);
  socket.off('error', onEnd);
  socket.off('close', onEnd);
  const conn = new Connection(socket, request);
  if (request.deflate) conn.enableDeflate();
  if (pending.length > 0) conn.pending = pending;
  await request.write(Buffer.from(response, 'latin1'));
  try {
    await handler.transfer?.(conn);
    if (!conn.serverTerminated) await conn.closeConnection();
    socket.end();
  } catch (err) {
    if (err instanceof FrameError) {
      await conn.closeConnection(err.code, '', err.code !== 1002).catch(() => {});
      socket.end();
    } else if (err instanceof Aborted || err instanceof Terminated) {
      socket.destroy();
    } else {
      throw err;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Static files (with WPT's {{...}} substitution in *.sub.* files).
// ---------------------------------------------------------------------------------------

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.htm': 'text/html', '.idl': 'text/plain', '.json': 'application/json' };

/** WPT's substitution for the few placeholders the websockets tests use. */
export function substitute(text, config) {
  return text.replace(/\{\{(host|ports\[(\w+)\]\[0\])\}\}/g, (whole, what, scheme) => {
    if (what === 'host') return config.host;
    return String(config.ports[scheme] ?? whole);
  });
}

/**
 * WPT's fetch/api/resources/stash-put.py and stash-take.py (wptserve's stash, shared by the
 * http and https servers): put stores the query's value under its key (and directory),
 * take answers the stored value as JSON (null if none) and forgets it. The stream tests'
 * abort.any.js uses them to see that an aborted WebSocketStream never connected.
 */
function stashHandler(stash, url, res) {
  const dir = url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
  const key = `${dir}\u0000${url.searchParams.get('key')}`;
  if (url.pathname.endsWith('/stash-put.py')) {
    stash.set(key, url.searchParams.get('value'));
    res.writeHead(200, { 'content-type': 'text/html', 'access-control-allow-origin': '*' }).end('done');
    return;
  }
  const value = stash.has(key) ? stash.get(key) : null;
  stash.delete(key);
  res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(JSON.stringify(value));
}

const STASH_PATHS = new Set(['/fetch/api/resources/stash-put.py', '/fetch/api/resources/stash-take.py']);

function staticHandler(root, config, stash) {
  return (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (STASH_PATHS.has(url.pathname)) { stashHandler(stash, url, res); return; }
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/resources/WebIDLParser.js') rel = '/resources/webidl2/lib/webidl2.js';
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    let body = fs.readFileSync(file);
    if (path.basename(file).includes('.sub.')) body = Buffer.from(substitute(body.toString('utf8'), config), 'utf8');
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  };
}

/**
 * Starts the servers on 127.0.0.1: http and https (the files under `root`), ws and wss (the
 * handlers). Returns { config: { host, ports: { http, https, ws, wss } }, close() }.
 */
export async function startServers({ root, cert, key, log = () => {} }) {
  const config = { host: '127.0.0.1', ports: {} };
  const sockets = new Set();
  const stash = new Map();
  const track = (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); };
  const onSocket = (socket) => {
    track(socket);
    socket.setNoDelay(true);
    serveConnection(socket, log).catch((err) => { log(`handler error: ${err.stack}`); socket.destroy(); });
  };
  const servers = {
    http: http.createServer(staticHandler(root, config, stash)),
    https: https.createServer({ cert, key }, staticHandler(root, config, stash)),
    ws: net.createServer(onSocket),
    wss: tls.createServer({ cert, key }, onSocket),
  };
  servers.http.on('connection', track);
  servers.https.on('secureConnection', track);
  for (const [scheme, server] of Object.entries(servers)) {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    config.ports[scheme] = server.address().port;
  }
  return {
    config,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(Object.values(servers).map((server) => new Promise((resolve) => server.close(() => resolve()))));
    },
  };
}
