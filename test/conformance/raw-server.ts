// A raw WebSocket server on node:net / node:tls for the conformance suite. It does NOT use
// the `ws` package: it parses the upgrade request and writes the 101 itself (or anything
// else a case asks for: a wrong accept key, a 401 with headers, an unrequested extension or
// subprotocol, a silent server), writes arbitrary bytes and frames, chopped into arbitrary
// pieces, and records exactly what the client under test sends back: every frame (checking
// that the client masks and otherwise follows RFC 6455), the reassembled messages, the
// client's close frame, and who closed the TCP connection first. When its 101 accepts
// permessage-deflate (RFC 7692), it also inflates the client's compressed messages (with the
// context the client keeps across messages) and can compress what it sends.
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { Waiters } from './waiters';

export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const Op = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
export function acceptKeyFor(key: string): string {
  return crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** FIN bit (default true). */
  fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number: 4 = RSV1, 2 = RSV2, 1 = RSV3 (default 0). */
  rsv?: number;
  /** Mask the payload (servers must not; default false). true: a random key. */
  mask?: boolean | Buffer;
  /** Force the length encoding (7, 16 or 64 bits) instead of the minimal one. */
  lengthForm?: 7 | 16 | 64;
  /** Declare this 64-bit length instead of the payload's real length (for malformed frames). */
  declaredLength64?: bigint;
}

export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'utf8') : spec.payload ?? Buffer.alloc(0);
  const fin = spec.fin ?? true;
  const rsv = spec.rsv ?? 0;
  const len = payload.length;
  const form = spec.declaredLength64 !== undefined ? 64 : spec.lengthForm ?? (len < 126 ? 7 : len < 65536 ? 16 : 64);
  const maskKey = spec.mask === true ? crypto.randomBytes(4) : spec.mask instanceof Buffer ? spec.mask : null;
  const header = Buffer.alloc(2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (maskKey ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (spec.opcode & 0x0f);
  const maskBit = maskKey ? 0x80 : 0;
  let offset = 2;
  if (form === 7) {
    if (len > 125) throw new Error('payload too long for a 7-bit length');
    header[1] = maskBit | len;
  } else if (form === 16) {
    if (len > 65535) throw new Error('payload too long for a 16-bit length');
    header[1] = maskBit | 126;
    header.writeUInt16BE(len, 2);
    offset = 4;
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(spec.declaredLength64 ?? BigInt(len), 2);
    offset = 10;
  }
  if (!maskKey) return Buffer.concat([header, payload]);
  maskKey.copy(header, offset);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= maskKey[i & 3];
  return Buffer.concat([header, masked]);
}

/** A close frame's payload: a 2-byte code and a reason (none when code is undefined). */
export function closePayload(code?: number, reason: string | Buffer = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const r = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : reason;
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

export const frame = {
  text: (payload: Buffer | string, extra: Partial<FrameSpec> = {}) => encodeFrame({ opcode: Op.TEXT, payload, ...extra }),
  binary: (payload: Buffer | string, extra: Partial<FrameSpec> = {}) => encodeFrame({ opcode: Op.BINARY, payload, ...extra }),
  cont: (payload: Buffer | string, extra: Partial<FrameSpec> = {}) => encodeFrame({ opcode: Op.CONTINUATION, payload, ...extra }),
  ping: (payload: Buffer | string = '', extra: Partial<FrameSpec> = {}) => encodeFrame({ opcode: Op.PING, payload, ...extra }),
  pong: (payload: Buffer | string = '', extra: Partial<FrameSpec> = {}) => encodeFrame({ opcode: Op.PONG, payload, ...extra }),
  close: (code?: number, reason: string | Buffer = '', extra: Partial<FrameSpec> = {}) =>
    encodeFrame({ opcode: Op.CLOSE, payload: closePayload(code, reason), ...extra }),
  raw: (spec: FrameSpec) => encodeFrame(spec),
};

/** A frame as received from the client (payload unmasked). */
export interface ParsedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** ms since the TCP connection was accepted. */
  at: number;
}

export interface ReceivedMessage {
  /** The payload (inflated when the message was compressed). */
  data: Buffer;
  isBinary: boolean;
  at: number;
  /** Sent compressed (RSV1 on its first frame); wireBytes: its payload bytes on the wire. */
  compressed: boolean;
  wireBytes: number;
}

export interface ReceivedClose {
  /** The status code, or null when the close frame had no payload. */
  code: number | null;
  reason: string;
  payload: Buffer;
  at: number;
}

// ---------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------

export interface UpgradeRequest {
  method: string;
  path: string;
  httpVersion: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The request head as received, up to and including the blank line. */
  raw: string;
}

/** What the server answers to the upgrade request. Defaults: a correct 101. */
export interface HandshakeReply {
  /** HTTP status (default 101). */
  status?: number;
  statusText?: string;
  /** 'correct' (default), 'missing', or the literal value to send. */
  accept?: 'correct' | 'missing' | string;
  /** Upgrade / Connection header values; null: leave the header out. */
  upgrade?: string | null;
  connection?: string | null;
  /** Sec-WebSocket-Protocol to answer with (absent: none). */
  protocol?: string;
  /** Sec-WebSocket-Extensions to answer with (absent: none). */
  extensions?: string;
  /** More headers, in order. */
  headers?: Array<[string, string]>;
  body?: string;
  /** Never answer (the client's handshake timeout must fire). */
  silent?: boolean;
  /** Write the response in pieces of this many bytes (with a short pause between pieces). */
  chop?: number;
  /** Bytes (frames) written in the SAME write as the response, right after it. */
  trailing?: Buffer;
  /** The complete raw response, instead of one built from the fields above. */
  raw?: Buffer | string;
  /** After a non-101 response: close the TCP connection from the server (default false:
   *  wait for the client to close it). */
  endAfterResponse?: boolean;
}

export type HandshakePolicy = HandshakeReply | ((req: UpgradeRequest) => HandshakeReply);

function parseRequestHead(raw: string): UpgradeRequest {
  const lines = raw.split('\r\n');
  const [method = '', path = '', version = ''] = (lines[0] ?? '').split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method, path, httpVersion: version.replace(/^HTTP\//, ''), headers, raw };
}

const STATUS_TEXT: Record<number, string> = {
  101: 'Switching Protocols', 200: 'OK', 301: 'Moved Permanently', 302: 'Found', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 426: 'Upgrade Required', 500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function buildResponse(req: UpgradeRequest, reply: HandshakeReply): Buffer {
  if (reply.raw !== undefined) return Buffer.isBuffer(reply.raw) ? reply.raw : Buffer.from(reply.raw, 'latin1');
  const status = reply.status ?? 101;
  const lines = [`HTTP/1.1 ${status} ${reply.statusText ?? STATUS_TEXT[status] ?? 'Status'}`];
  if (status === 101) {
    if (reply.upgrade !== null) lines.push(`Upgrade: ${reply.upgrade ?? 'websocket'}`);
    if (reply.connection !== null) lines.push(`Connection: ${reply.connection ?? 'Upgrade'}`);
    const accept = reply.accept ?? 'correct';
    if (accept === 'correct') lines.push(`Sec-WebSocket-Accept: ${acceptKeyFor(req.headers['sec-websocket-key'] ?? '')}`);
    else if (accept !== 'missing') lines.push(`Sec-WebSocket-Accept: ${accept}`);
  }
  if (reply.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${reply.protocol}`);
  if (reply.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${reply.extensions}`);
  for (const [name, value] of reply.headers ?? []) lines.push(`${name}: ${value}`);
  const body = reply.body ?? '';
  if (status !== 101) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${status !== 101 ? body : ''}`, 'latin1');
}

// ---------------------------------------------------------------------------------------
// permessage-deflate (RFC 7692)
// ---------------------------------------------------------------------------------------

/** The empty stored block a sync flush ends with; the sender removes it (RFC 7692 7.2.1). */
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A receiver's LZ77 window holds at most the last 32 KiB of what it inflated. */
const MAX_WINDOW = 32 * 1024;

/** permessage-deflate as a 101 accepted it (the RFC 7692 defaults where a parameter is absent). */
export interface NegotiatedDeflate {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/**
 * The permessage-deflate the server's Sec-WebSocket-Extensions value accepts, or null when it
 * names none. Lenient on purpose: a value the client must refuse (a window of 16, say) is read
 * as the default, since the client is expected to fail the handshake anyway.
 */
export function parseDeflateResponse(value: string): NegotiatedDeflate | null {
  for (const element of value.split(',')) {
    const [name, ...params] = element.split(';').map((part) => part.trim());
    if (name !== 'permessage-deflate') continue;
    const negotiated: NegotiatedDeflate = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
    for (const param of params) {
      const [key, raw = ''] = param.split('=').map((part) => part.trim());
      const bits = Number(raw.replace(/^"(.*)"$/, '$1'));
      const windowBits = Number.isInteger(bits) && bits >= 8 && bits <= 15 ? bits : 15;
      if (key === 'server_no_context_takeover') negotiated.serverNoContextTakeover = true;
      else if (key === 'client_no_context_takeover') negotiated.clientNoContextTakeover = true;
      else if (key === 'server_max_window_bits') negotiated.serverMaxWindowBits = windowBits;
      else if (key === 'client_max_window_bits') negotiated.clientMaxWindowBits = windowBits;
    }
    return negotiated;
  }
  return null;
}

export interface DeflateContext {
  /** LZ77 window of 2^windowBits bytes (default 15). */
  windowBits?: number;
  /** What the receiver inflated before (context takeover): the data may refer back to it. */
  history?: Buffer;
}

/**
 * A message payload as permessage-deflate sends it: raw DEFLATE ended by a sync flush, with
 * the flush's trailing 00 00 ff ff removed (RFC 7692 7.2.1). With `history`, the compressor
 * starts with it as its window, so the output may refer back into the previous messages.
 */
export function deflatePayload(data: Buffer | string, context: DeflateContext = {}): Buffer {
  const input = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const compressed = zlib.deflateRawSync(input, {
    // zlib's deflate has no 256-byte window; with 512 its matches still reach back at most 250 bytes.
    windowBits: Math.max(9, context.windowBits ?? 15),
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    ...(context.history?.length ? { dictionary: context.history.subarray(-MAX_WINDOW) } : {}),
  });
  if (!compressed.subarray(-4).equals(SYNC_FLUSH_TAIL)) throw new Error('a sync flush did not end with 00 00 ff ff');
  return compressed.subarray(0, -4);
}

/**
 * Inflates a message payload the way a permessage-deflate receiver does (RFC 7692 7.2.2):
 * appends 00 00 ff ff and inflates, with `history` as the window left by earlier messages.
 * Throws on invalid data. Below a 15-bit window the output is produced 64 bytes at a time, so
 * a back-reference beyond the window (the sender used a larger one) fails instead of being
 * served from the output buffer.
 */
export function inflatePayload(payload: Buffer, context: DeflateContext = {}): Buffer {
  const windowBits = context.windowBits ?? 15;
  return zlib.inflateRawSync(Buffer.concat([payload, SYNC_FLUSH_TAIL]), {
    windowBits,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    ...(windowBits < 15 ? { chunkSize: 64 } : {}),
    ...(context.history?.length ? { dictionary: context.history.subarray(-MAX_WINDOW) } : {}),
  });
}

/** The last MAX_WINDOW bytes of `history` followed by `data`: the window after inflating `data`. */
function slideWindow(history: Buffer, data: Buffer): Buffer {
  if (data.length >= MAX_WINDOW) return Buffer.from(data.subarray(-MAX_WINDOW));
  return Buffer.concat([history.subarray(Math.max(0, history.length + data.length - MAX_WINDOW)), data]);
}

// ---------------------------------------------------------------------------------------
// One connection
// ---------------------------------------------------------------------------------------

const CLOSE_CODES_CLIENT_MAY_SEND = (code: number) =>
  (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

/** How the TCP connection ended, from the server's point of view. */
export type TcpState =
  | 'open'
  | 'closed by client'        // FIN from the client before the server closed
  | 'reset by client'         // ECONNRESET before the server closed
  | 'closed by server';       // the server ended/destroyed it first

export class RawConnection {
  readonly socket: net.Socket;
  readonly acceptedAt = Date.now();
  request: UpgradeRequest | null = null;
  /** True once a 101 has been written. */
  upgraded = false;
  readonly frames: ParsedFrame[] = [];
  readonly messages: ReceivedMessage[] = [];
  /** Pings sent by the client (answered automatically with a pong). */
  readonly pings: ParsedFrame[] = [];
  /** Pongs sent by the client (answers to our pings). */
  readonly pongs: ParsedFrame[] = [];
  closeFrame: ReceivedClose | null = null;
  /** Protocol violations committed by the CLIENT (unmasked frames, RSV bits, ...). */
  readonly violations: string[] = [];
  /** Bytes the client sent that are not a parseable frame or request. */
  rawAfterHandshake = 0;
  tcp: TcpState = 'open';
  /** ms since accept at which the TCP connection ended (either side), or null. */
  tcpClosedAt: number | null = null;
  /** Bytes the client sent after its close frame. */
  bytesAfterClose = 0;
  /** Answer client pings automatically (default true). */
  autoPong = true;
  /** permessage-deflate as the 101 accepted it; null: not negotiated (RSV1 is then a violation). */
  deflate: NegotiatedDeflate | null = null;

  private head = '';
  private chunks: Buffer[] = [];
  private chunkBytes = 0;

  /** Bytes of a frame the client began and has not finished (0 between frames): after the
   * connection ended, nonzero means the client stopped in the middle of a frame. */
  get partialFrameBytes(): number {
    return this.upgraded ? this.chunkBytes : 0;
  }
  private fragments: Buffer[] | null = null;
  private fragmentBinary = false;
  private fragmentCompressed = false;
  /** The client's compressed messages inflated so far (the window its compressor continues from). */
  private clientWindow: Buffer = Buffer.alloc(0);
  /** What compress() compressed so far (the window the client's inflater continues from). */
  private serverWindow: Buffer = Buffer.alloc(0);
  private serverClosed = false;
  private readonly waiters = new Waiters();
  private readonly policyFor: (req: UpgradeRequest) => HandshakeReply;
  private readonly onRequest: (conn: RawConnection) => void;

  constructor(socket: net.Socket, policyFor: (req: UpgradeRequest) => HandshakeReply, onRequest: (conn: RawConnection) => void) {
    this.socket = socket;
    this.policyFor = policyFor;
    this.onRequest = onRequest;
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => {
      if (!this.serverClosed && this.tcp === 'open') this.setTcp('closed by client');
      // We allow half-open sockets only to see who closed first: finish the close now.
      if (!socket.destroyed) socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.serverClosed && this.tcp === 'open') this.setTcp(err.code === 'ECONNRESET' ? 'reset by client' : 'closed by client');
    });
    socket.on('close', () => {
      if (this.tcp === 'open') this.setTcp(this.serverClosed ? 'closed by server' : 'closed by client');
      this.notify();
    });
  }

  private setTcp(state: TcpState): void {
    this.tcp = state;
    this.tcpClosedAt = Date.now() - this.acceptedAt;
    this.notify();
  }

  private now(): number {
    return Date.now() - this.acceptedAt;
  }

  private notify(): void {
    this.waiters.notify();
  }

  /** Resolves true as soon as `predicate` holds, false after timeoutMs. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.waiters.until(predicate, timeoutMs);
  }

  get tcpOpen(): boolean {
    return this.tcp === 'open';
  }

  // ---- input ---------------------------------------------------------------------------

  private onData(data: Buffer): void {
    if (this.request === null) {
      this.head += data.toString('latin1');
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.head.length > 65536) this.violation('request head larger than 64 KiB');
        return;
      }
      const rest = Buffer.from(this.head.slice(end + 4), 'latin1');
      this.request = parseRequestHead(this.head.slice(0, end + 4));
      this.onRequest(this);
      void this.answerHandshake(this.policyFor(this.request));
      if (rest.length) this.onFrameBytes(rest);
      this.notify();
      return;
    }
    this.onFrameBytes(data);
  }

  private violation(what: string): void {
    this.violations.push(`${what} (at ${this.now()} ms)`);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    // Concatenate lazily: a 16 MiB frame arriving in 64 KiB chunks is joined once.
    if (this.chunks.length > 1 && this.chunks[0].length < n) {
      this.chunks = [Buffer.concat(this.chunks, this.chunkBytes)];
    }
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.chunkBytes -= n;
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks, this.chunkBytes)];
    return this.chunks[0].subarray(0, n);
  }

  private onFrameBytes(data: Buffer): void {
    if (!this.upgraded) {
      this.rawAfterHandshake += data.length;
      this.violation(`${data.length} byte(s) sent before the 101 response was complete / without one`);
      return;
    }
    if (this.closeFrame) this.bytesAfterClose += data.length;
    this.chunks.push(data);
    this.chunkBytes += data.length;
    for (;;) {
      if (this.chunkBytes < 2) break;
      const h = this.peek(2);
      const masked = (h[1] & 0x80) !== 0;
      const len7 = h[1] & 0x7f;
      const extLen = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const headerLen = 2 + extLen + (masked ? 4 : 0);
      if (this.chunkBytes < headerLen) break;
      const header = this.peek(headerLen);
      let len: number;
      if (len7 === 126) len = header.readUInt16BE(2);
      else if (len7 === 127) {
        const big = header.readBigUInt64BE(2);
        if (big > BigInt(1) << BigInt(31)) {
          this.violation(`frame with a 64-bit length of ${big}`);
          this.socket.destroy();
          return;
        }
        len = Number(big);
      } else len = len7;
      if (this.chunkBytes < headerLen + len) break;
      this.take(headerLen);
      const payload = Buffer.from(this.take(len));
      if (masked) {
        const key = header.subarray(2 + extLen, 2 + extLen + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      }
      this.onFrame({ fin: (h[0] & 0x80) !== 0, rsv: (h[0] >> 4) & 7, opcode: h[0] & 0x0f, masked, payload, at: this.now() });
    }
    this.notify();
  }

  private onFrame(f: ParsedFrame): void {
    const wasAfterClose = this.closeFrame !== null;
    this.frames.push(f);
    const name = opcodeName(f.opcode);
    if (wasAfterClose) this.violation(`${name} frame after the client's close frame`);
    if (!f.masked) this.violation(`unmasked ${name} frame`);
    // RSV1 marks a compressed message, on its first frame only (RFC 7692 6).
    const startsMessage = f.opcode === Op.TEXT || f.opcode === Op.BINARY;
    const compressed = this.deflate !== null && startsMessage && (f.rsv & 4) !== 0;
    const unexpectedRsv = compressed ? f.rsv & 3 : f.rsv;
    if (unexpectedRsv !== 0) this.violation(`${name} frame with RSV bits ${f.rsv.toString(2).padStart(3, '0')}`);
    const control = (f.opcode & 0x8) !== 0;
    if (control && (!f.fin || f.payload.length > 125)) this.violation(`malformed ${name} frame (fin=${f.fin}, ${f.payload.length} bytes)`);
    switch (f.opcode) {
      case Op.TEXT:
      case Op.BINARY:
        if (this.fragments) this.violation(`new ${name} frame inside a fragmented message`);
        if (f.fin) this.pushMessage([f.payload], f.opcode === Op.BINARY, compressed, f.at);
        else { this.fragments = [f.payload]; this.fragmentBinary = f.opcode === Op.BINARY; this.fragmentCompressed = compressed; }
        break;
      case Op.CONTINUATION:
        if (!this.fragments) { this.violation('continuation frame with nothing to continue'); break; }
        this.fragments.push(f.payload);
        if (f.fin) {
          this.pushMessage(this.fragments, this.fragmentBinary, this.fragmentCompressed, f.at);
          this.fragments = null;
        }
        break;
      case Op.PING:
        this.pings.push(f);
        if (this.autoPong && !this.serverClosed && !this.socket.destroyed) this.socket.write(frame.pong(f.payload));
        break;
      case Op.PONG:
        this.pongs.push(f);
        break;
      case Op.CLOSE: {
        if (wasAfterClose) break;
        const p = f.payload;
        let code: number | null = null;
        let reason = '';
        if (p.length === 1) this.violation('close frame with a 1-byte payload');
        if (p.length >= 2) {
          code = p.readUInt16BE(0);
          if (!CLOSE_CODES_CLIENT_MAY_SEND(code)) this.violation(`close frame with code ${code}, which must not be sent`);
          const r = p.subarray(2);
          if (!isValidUtf8(r)) this.violation('close reason is not valid UTF-8');
          reason = r.toString('utf8');
        }
        this.closeFrame = { code, reason, payload: p, at: f.at };
        break;
      }
      default:
        this.violation(`frame with reserved opcode ${f.opcode}`);
    }
  }

  private pushMessage(parts: Buffer[], isBinary: boolean, compressed: boolean, at: number): void {
    const wire = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    let data: Buffer = wire;
    if (compressed) {
      const deflate = this.deflate!;
      try {
        // Without context takeover the client must reset its compressor: inflate each message alone.
        data = inflatePayload(wire, { windowBits: deflate.clientMaxWindowBits, history: deflate.clientNoContextTakeover ? undefined : this.clientWindow });
        this.clientWindow = slideWindow(this.clientWindow, data);
      } catch (err) {
        this.violation(`compressed ${isBinary ? 'binary' : 'text'} message of ${wire.length} bytes does not inflate: ${(err as Error).message}`);
      }
    }
    if (!isBinary && !isValidUtf8(data)) this.violation('text message with invalid UTF-8');
    this.messages.push({ data, isBinary, at, compressed, wireBytes: wire.length });
  }

  // ---- handshake -----------------------------------------------------------------------

  private async answerHandshake(reply: HandshakeReply): Promise<void> {
    if (reply.silent) return;
    const req = this.request!;
    const response = buildResponse(req, reply);
    const status = reply.raw !== undefined ? Number(/^HTTP\/1\.1 (\d{3})/.exec(response.toString('latin1'))?.[1] ?? 0) : reply.status ?? 101;
    // Mark as upgraded before writing, so frames the client sends right after the 101 parse.
    if (status === 101) {
      this.upgraded = true;
      this.deflate = parseDeflateResponse(extensionsOf(response));
    }
    if (reply.chop) await this.writeChopped(response, reply.chop, 1);
    else if (!reply.trailing) await this.write(response);
    if (reply.trailing) {
      if (reply.chop) await this.write(reply.trailing);
      else await this.write(Buffer.concat([response, reply.trailing]));
    }
    if (status !== 101 && reply.endAfterResponse) this.end();
    this.notify();
  }

  // ---- output --------------------------------------------------------------------------

  /**
   * A payload compressed for the client with the negotiated permessage-deflate: it continues
   * the window of the messages compressed before (unless server_no_context_takeover), so
   * messages must be sent in the order they were compressed. Send it with RSV1 set.
   */
  compress(data: Buffer | string): Buffer {
    const deflate = this.deflate;
    if (!deflate) throw new Error('permessage-deflate was not negotiated on this connection');
    const input = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const history = deflate.serverNoContextTakeover ? undefined : this.serverWindow;
    const payload = deflatePayload(input, { windowBits: deflate.serverMaxWindowBits, history });
    this.serverWindow = slideWindow(this.serverWindow, input);
    return payload;
  }

  /** Writes bytes; resolves once handed to the kernel (or the socket is gone). */
  write(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /**
   * Writes bytes in pieces: `pieces` is a piece size (every piece that long) or a list of
   * piece sizes (the rest in one piece). Each piece is a separate write (Nagle is off), with
   * `delayMs` between pieces (0: a macrotask turn).
   */
  async writeChopped(bytes: Buffer, pieces: number | number[], delayMs = 0): Promise<void> {
    const sizes: number[] = [];
    if (typeof pieces === 'number') for (let i = 0; i < bytes.length; i += pieces) sizes.push(Math.min(pieces, bytes.length - i));
    else {
      let used = 0;
      for (const size of pieces) { if (used >= bytes.length) break; sizes.push(Math.min(size, bytes.length - used)); used += size; }
      if (used < bytes.length) sizes.push(bytes.length - used);
    }
    let offset = 0;
    for (const size of sizes) {
      if (this.socket.destroyed) return;
      await this.write(bytes.subarray(offset, offset + size));
      offset += size;
      if (offset < bytes.length) {
        if (delayMs > 0) await sleep(delayMs);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Writes each buffer as a separate write, with `delayMs` between them. */
  async writeEach(buffers: Buffer[], delayMs = 0): Promise<void> {
    for (let i = 0; i < buffers.length; i++) {
      await this.write(buffers[i]);
      if (i < buffers.length - 1) {
        if (delayMs > 0) await sleep(delayMs);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Closes the TCP connection from the server (FIN), and drops it `destroyAfterMs` later if
   *  the client has not closed its side by then (null: never; the caller destroys it). */
  end(destroyAfterMs: number | null = 2000): void {
    if (this.tcp === 'open') this.setTcp('closed by server');
    this.serverClosed = true;
    this.socket.end();
    if (destroyAfterMs !== null) setTimeout(() => this.socket.destroy(), destroyAfterMs).unref();
  }

  /** Both directions are closed: the client's FIN (or RST) came, or the socket was dropped. */
  get tcpFinished(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  /** Drops the TCP connection from the server at once. */
  destroy(): void {
    if (this.tcp === 'open') this.setTcp('closed by server');
    this.serverClosed = true;
    this.socket.destroy();
  }

  /** Resets the TCP connection from the server (RST instead of FIN). */
  reset(): void {
    if (this.tcp === 'open') this.setTcp('closed by server');
    this.serverClosed = true;
    this.socket.resetAndDestroy();
  }

  // ---- observation helpers -------------------------------------------------------------

  /** Data frames (text/binary/continuation) received from the client since frame index `from`. */
  dataFramesSince(from: number): ParsedFrame[] {
    return this.frames.slice(from).filter((f) => f.opcode === Op.TEXT || f.opcode === Op.BINARY || f.opcode === Op.CONTINUATION);
  }

  /** One line per frame the client sent: for failure messages. */
  describeFrames(): string[] {
    return this.frames.map((f) => {
      let what = `${opcodeName(f.opcode)}${f.fin ? '' : '(fin=0)'}${f.rsv ? ` rsv=${f.rsv}` : ''}${f.masked ? '' : ' UNMASKED'} ${f.payload.length}B`;
      if (f.opcode === Op.CLOSE && f.payload.length >= 2) what += ` code=${f.payload.readUInt16BE(0)} reason=${JSON.stringify(f.payload.subarray(2).toString('utf8'))}`;
      else if (f.payload.length <= 16) what += ` ${f.payload.toString('hex')}`;
      return `${what} @${f.at}ms`;
    });
  }
}

/** The Sec-WebSocket-Extensions values of a response head, joined with ', '. */
function extensionsOf(response: Buffer): string {
  const head = response.toString('latin1').split('\r\n\r\n')[0];
  return head.split('\r\n').filter((line) => /^sec-websocket-extensions:/i.test(line)).map((line) => line.slice(line.indexOf(':') + 1).trim()).join(', ');
}

export function opcodeName(op: number): string {
  return ({ 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' } as Record<number, string>)[op] ?? `opcode-${op}`;
}

/** Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF). */
export function isValidUtf8(buf: Buffer): boolean {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
    else return false;
    if (i + need >= n) return false;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

export interface RawServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** TLS: a node:tls server with these options instead of a plain TCP one. */
  tls?: tls.TlsOptions;
  /** Reply used for request paths with no policy of their own (default: a correct 101). */
  defaultPolicy?: HandshakePolicy;
}

export class RawServer {
  readonly server: net.Server | tls.Server;
  readonly connections: RawConnection[] = [];
  /** TLS handshakes that failed on the server side (e.g. the client refused our certificate). */
  readonly tlsErrors: Error[] = [];
  /** TCP (or TLS) connections accepted, whether or not a request followed. */
  accepted = 0;
  readonly host: string;
  readonly secure: boolean;
  port = 0;

  private readonly policies = new Map<string, HandshakePolicy>();
  private readonly pending = new Map<string, Array<(conn: RawConnection) => void>>();
  private defaultPolicy: HandshakePolicy;
  private readonly sockets = new Set<net.Socket>();

  private constructor(options: RawServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.secure = options.tls !== undefined;
    this.defaultPolicy = options.defaultPolicy ?? {};
    const onSocket = (socket: net.Socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const conn = new RawConnection(socket, (req) => this.policyFor(req), (c) => this.onRequest(c));
      this.connections.push(conn);
    };
    if (options.tls) {
      this.server = tls.createServer({ ...options.tls, allowHalfOpen: true } as tls.TlsOptions, onSocket);
      this.server.on('tlsClientError', (err) => this.tlsErrors.push(err));
    } else {
      this.server = net.createServer({ allowHalfOpen: true }, onSocket);
    }
    // Every TCP connection, including TLS ones whose handshake never completes.
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: RawServerOptions = {}): Promise<RawServer> {
    const s = new RawServer(options);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, s.host, () => resolve());
    });
    s.port = (s.server.address() as net.AddressInfo).port;
    return s;
  }

  /** ws://host:port (or wss://), with IPv6 literals in brackets. */
  get url(): string {
    const host = net.isIPv6(this.host) ? `[${this.host}]` : this.host;
    return `${this.secure ? 'wss' : 'ws'}://${host}:${this.port}`;
  }

  /** Sets the reply for requests to `path` and resolves with the connection that asks for it. */
  expect(path: string, policy: HandshakePolicy = {}): Promise<RawConnection> {
    this.policies.set(path, policy);
    return new Promise((resolve) => {
      const list = this.pending.get(path) ?? [];
      list.push(resolve);
      this.pending.set(path, list);
    });
  }

  setDefaultPolicy(policy: HandshakePolicy): void {
    this.defaultPolicy = policy;
  }

  /** Connections whose request was for `path`. */
  requestsFor(path: string): RawConnection[] {
    return this.connections.filter((c) => c.request?.path === path);
  }

  private policyFor(req: UpgradeRequest): HandshakeReply {
    const policy = this.policies.get(req.path) ?? this.defaultPolicy;
    return typeof policy === 'function' ? policy(req) : policy;
  }

  private onRequest(conn: RawConnection): void {
    const waiting = this.pending.get(conn.request!.path);
    const resolve = waiting?.shift();
    resolve?.(conn);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
