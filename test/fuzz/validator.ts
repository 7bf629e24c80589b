// The reference validator: a strict RFC 6455 + RFC 7692 receiver of our own that reads the
// exact bytes a fuzz case sent after the 101 and says what a correct client must do with
// them: the messages it must deliver, the pings it must answer, and where it must (or may)
// fail the connection and with which close code. It runs on the bytes as sent (after
// mutation), so whatever the generator meant, the verdict follows the wire.
//
// Where RFC 6455 leaves a client free, the model allows each choice:
//  - failing early: invalid UTF-8 may be reported as soon as the bad byte arrives or when the
//    message ends; so may invalid DEFLATE data and an inflated message over the limit
//    ("may-fail" events, pending until the message ends);
//  - a 64-bit length with the top bit set is a protocol error (1002) or too big (1009);
//  - things RFC 6455 forbids a server to send but few clients check (a length not in its
//    minimal form), and DEFLATE streams ended with BFINAL, make the rest of the case
//    "unknown": from there the client may do anything but crash, hang or leak.
import zlib from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import type { NegotiatedDeflate } from '../conformance/raw-server';
import { Utf8Checker } from './utf8';

export const Close = {
  PROTOCOL_ERROR: 1002,
  INVALID_DATA: 1007,
  TOO_BIG: 1009,
} as const;

/** A message a correct client delivers. */
export interface ExpectedMessage {
  isBinary: boolean;
  data: Buffer;
  /** A close request from the case to the client (see TRIGGER_PREFIX), if the message is one. */
  trigger?: CloseTrigger;
}

export interface CloseTrigger {
  code: number;
  reason: string;
}

export type StreamEvent =
  | { kind: 'message'; message: ExpectedMessage }
  | { kind: 'ping'; payload: Buffer }
  /** From here until the current message ends, the client may fail with `code`. */
  | { kind: 'may-fail'; code: number; why: string }
  /** The client must fail here (with one of `codes`); nothing after counts. */
  | { kind: 'fail'; codes: number[]; why: string }
  /** The server's close frame; nothing after counts. code null: no status code. */
  | { kind: 'close'; code: number | null; reason: Buffer }
  /** The model does not decide beyond this point. */
  | { kind: 'unknown'; why: string }
  /** The bytes end (the TCP connection ends after them). midFrame: inside a frame. */
  | { kind: 'end'; midFrame: boolean };

export interface StreamContext {
  /** permessage-deflate as negotiated, or null. */
  deflate: NegotiatedDeflate | null;
  /** The client's limit on a message (decompressed), bytes. */
  maxPayload: number;
}

/**
 * A text message that asks the client under test to close the connection itself:
 * TRIGGER_PREFIX, the close code in decimal, ':', then the reason.
 */
export const TRIGGER_PREFIX = '@@fuzz-close@@';

export function parseTrigger(data: Buffer): CloseTrigger | undefined {
  if (data.length < TRIGGER_PREFIX.length || data.toString('latin1', 0, TRIGGER_PREFIX.length) !== TRIGGER_PREFIX) return undefined;
  const rest = data.toString('utf8', TRIGGER_PREFIX.length);
  const colon = rest.indexOf(':');
  const code = Number(rest.slice(0, colon));
  if (colon < 0 || !Number.isInteger(code)) return undefined;
  return { code, reason: rest.slice(colon + 1) };
}

export function triggerMessage(trigger: CloseTrigger): Buffer {
  return Buffer.from(`${TRIGGER_PREFIX}${trigger.code}:${trigger.reason}`, 'utf8');
}

/** Close codes a server may send (RFC 6455 7.4, IANA registry): 1000-1003, 1007-1014, 3000-4999. */
export function isValidReceivedCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MAX_WINDOW = 32 * 1024;

type InflateResult =
  | { status: 'ok'; data: Buffer; ended: boolean }
  | { status: 'data-error' }
  | { status: 'too-big' };

/**
 * Inflates a message's DEFLATE data the way a permessage-deflate receiver does. `complete`:
 * the whole message (the 00 00 ff ff tail is appended, RFC 7692 7.2.2); otherwise a prefix
 * of it, inflated as far as it goes. `ended`: the stream reached a block with BFINAL set
 * before the end of the input.
 */
function inflate(payload: Buffer, windowBits: number, history: Buffer, maxOutput: number, complete: boolean): InflateResult {
  const input = complete ? Buffer.concat([payload, SYNC_FLUSH_TAIL]) : payload;
  try {
    const { buffer, engine } = zlib.inflateRawSync(input, {
      windowBits,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: maxOutput + 1,
      info: true,
      // Below a 15-bit window, produce output in small steps so that a back-reference beyond
      // the window fails instead of being served from the output buffer.
      ...(windowBits < 15 ? { chunkSize: 64 } : {}),
      ...(history.length ? { dictionary: history.subarray(-MAX_WINDOW) } : {}),
    }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    if (buffer.length > maxOutput) return { status: 'too-big' };
    return { status: 'ok', data: buffer, ended: engine.bytesWritten < input.length };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return { status: 'too-big' };
    return { status: 'data-error' };
  }
}

function slideWindow(history: Buffer, data: Buffer): Buffer {
  if (data.length >= MAX_WINDOW) return Buffer.from(data.subarray(-MAX_WINDOW));
  return Buffer.concat([history.subarray(Math.max(0, history.length + data.length - MAX_WINDOW)), data]);
}

/** The message being received (between its first and its last frame). */
interface OpenMessage {
  isBinary: boolean;
  compressed: boolean;
  parts: Buffer[];
  size: number;
  utf8: Utf8Checker;
}

/** Prefix inflation costs O(size x fragments): beyond this many fragments or bytes it is
 *  skipped (and the client may fail early for any reason the whole message could give). */
const MAX_PREFIX_CHECKS = 32;
const MAX_PREFIX_BYTES = 256 * 1024;
/** A text message that inflates past the limit is inflated this far to see the UTF-8 within
 *  the limit; beyond it either verdict is accepted. */
const MAX_INFLATE_FOR_PREFIX = 64 * 1024 * 1024;
/** The compressed messages of a connection replayed as one stream, up to this many bytes. */
const MAX_TAKEOVER_STREAM = 1024 * 1024;

export function validateStream(bytes: Buffer, ctx: StreamContext): StreamEvent[] {
  return new StreamModel(bytes, ctx).run();
}

class StreamModel {
  private readonly events: StreamEvent[] = [];
  private pos = 0;
  private message: OpenMessage | null = null;
  /** What the client's inflater holds from earlier messages (context takeover). */
  private history: Buffer = Buffer.alloc(0);
  /** With context takeover, the compressed messages so far as the client's one inflater
   * reads them (each with its sync-flush tail); null once past MAX_TAKEOVER_STREAM. */
  private takeoverStream: Buffer | null = Buffer.alloc(0);
  /** How many bytes takeoverStream inflates to. */
  private takeoverOutputLength = 0;
  /** Codes the client may already have failed with in the current message (may-fail events). */
  private readonly pending = new Set<number>();

  constructor(private readonly bytes: Buffer, private readonly ctx: StreamContext) {}

  run(): StreamEvent[] {
    while (this.step()) { /* one frame per step */ }
    return this.events;
  }

  private fail(codes: number[], why: string): false {
    const all = new Set([...codes, ...this.pending]);
    this.events.push({ kind: 'fail', codes: [...all].sort(), why });
    return false;
  }

  private mayFail(code: number, why: string): void {
    if (this.pending.has(code)) return;
    this.pending.add(code);
    this.events.push({ kind: 'may-fail', code, why });
  }

  private end(midFrame: boolean): false {
    this.events.push({ kind: 'end', midFrame });
    return false;
  }

  /** What the first two bytes of a frame header show wrong (1 byte: only the first's part). */
  private headerErrors(b0: number, b1: number | undefined): string[] {
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 7;
    const opcode = b0 & 0x0f;
    const control = (opcode & 0x8) !== 0;
    const name = opcodeName(opcode);
    const startsMessage = opcode === 1 || opcode === 2;
    const errors: string[] = [];
    if ((opcode >= 3 && opcode <= 7) || opcode >= 11) errors.push(`reserved opcode ${opcode}`);
    if (rsv & 3) errors.push(`${name} frame with RSV2/RSV3 set`);
    if ((rsv & 4) && !(this.ctx.deflate && startsMessage)) {
      errors.push(this.ctx.deflate ? `RSV1 on a ${name} frame` : `RSV1 on a ${name} frame without permessage-deflate`);
    }
    if (control && !fin) errors.push(`a fragmented ${name} frame`);
    if (opcode === 0 && !this.message) errors.push('a continuation frame with no message to continue');
    if (startsMessage && this.message) errors.push(`a new ${name} frame inside a fragmented message`);
    if (b1 !== undefined) {
      if (b1 & 0x80) errors.push(`a masked ${name} frame`);
      if (control && (b1 & 0x7f) > 125) errors.push(`a ${name} frame of more than 125 bytes`);
    }
    return errors;
  }

  /** Reads one frame; false when the model stops (end of the bytes, fail, close, unknown). */
  private step(): boolean {
    const b = this.bytes;
    const start = this.pos;
    if (b.length - start === 0) return this.end(false);
    // A client may judge a header from its first byte(s): when the bytes end inside it.
    const endInHeader = (): false => {
      const errors = this.headerErrors(b[start], b.length - start >= 2 ? b[start + 1] : undefined);
      if (errors.length) this.mayFail(Close.PROTOCOL_ERROR, errors.join('; '));
      // A 64-bit length is wrong from its first byte on when that has the top bit set.
      if (b.length - start >= 3 && (b[start + 1] & 0x7f) === 127 && (b[start + 2] & 0x80)) {
        for (const code of [Close.PROTOCOL_ERROR, Close.TOO_BIG]) this.mayFail(code, 'a 64-bit length with the most significant bit set (the rest of the header did not come)');
      }
      return this.end(true);
    };
    if (b.length - start < 2) return endInHeader();
    const fin = (b[start] & 0x80) !== 0;
    const rsv = (b[start] >> 4) & 7;
    const opcode = b[start] & 0x0f;
    const masked = (b[start + 1] & 0x80) !== 0;
    const len7 = b[start + 1] & 0x7f;
    const extLen = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const headerLen = 2 + extLen + (masked ? 4 : 0);
    if (b.length - start < 2 + extLen) return endInHeader();
    let length: number;
    if (len7 === 126) {
      length = b.readUInt16BE(start + 2);
    } else if (len7 === 127) {
      const big = b.readBigUInt64BE(start + 2);
      if (big >> 63n) return this.fail([Close.PROTOCOL_ERROR, Close.TOO_BIG], 'a 64-bit length with the most significant bit set');
      length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    } else {
      length = len7;
    }

    const control = (opcode & 0x8) !== 0;
    const name = opcodeName(opcode);
    const startsMessage = opcode === 1 || opcode === 2;
    const compressed = (rsv & 4) !== 0;
    const protocolErrors = this.headerErrors(b[start], b[start + 1]);
    if (protocolErrors.length) return this.fail([Close.PROTOCOL_ERROR], protocolErrors.join('; '));
    const tooBig = !control && !(this.message?.compressed ?? compressed) && (this.message?.size ?? 0) + length > this.ctx.maxPayload;
    if (tooBig) {
      const why = `a message of at least ${(this.message?.size ?? 0) + length} bytes (maxPayload ${this.ctx.maxPayload})`;
      // A text message whose frame past the limit also makes its UTF-8 invalid (or ends it
      // inside a sequence) breaks both rules: a client that checks the text before it adds
      // up the sizes of the fragments fails with 1007, and that is right too.
      const isText = opcode === 1 || (opcode === 0 && this.message !== null && !this.message.isBinary);
      if (isText && !compressed) {
        const checker = opcode === 0 ? cloneChecker(this.message!.utf8) : new Utf8Checker();
        const payload = b.subarray(start + headerLen, Math.min(b.length, start + headerLen + length));
        checker.push(payload);
        const whole = payload.length === length;
        if (checker.invalid || (fin && whole && !checker.complete)) return this.fail([Close.TOO_BIG, Close.INVALID_DATA], `${why}, whose text is not valid UTF-8 either`);
      }
      return this.fail([Close.TOO_BIG], why);
    }
    if (len7 === 126 && length < 126 || len7 === 127 && length < 65536) {
      return this.unknown(`a ${name} frame whose length ${length} is not in its minimal form`);
    }

    if (startsMessage) {
      this.message = {
        isBinary: opcode === 2, compressed, parts: [], size: 0, utf8: new Utf8Checker(),
      };
    }
    if (!control && this.message!.compressed && length > this.ctx.maxPayload) {
      // Its wire size says nothing certain about the inflated size, but a client may refuse it.
      this.mayFail(Close.TOO_BIG, `a compressed frame of ${length} bytes (maxPayload ${this.ctx.maxPayload})`);
    }

    const available = b.length - start - headerLen;
    if (available < length) {
      // The bytes end inside this frame: what arrived of a data frame may already be enough to fail.
      if (!control && available > 0) this.dataFramePart(b.subarray(start + headerLen), false);
      return this.end(true);
    }
    const payload = b.subarray(start + headerLen, start + headerLen + length);
    this.pos = start + headerLen + length;

    switch (opcode) {
      case 0x9:
        this.events.push({ kind: 'ping', payload: Buffer.from(payload) });
        return true;
      case 0xa:
        return true;
      case 0x8:
        return this.closeFrame(payload);
      default:
        return this.dataFrame(payload, fin);
    }
  }

  private unknown(why: string): false {
    this.events.push({ kind: 'unknown', why });
    return false;
  }

  private closeFrame(payload: Buffer): false {
    if (payload.length === 1) return this.fail([Close.PROTOCOL_ERROR], 'a close frame with a 1-byte payload');
    if (payload.length >= 2) {
      const code = payload.readUInt16BE(0);
      const reason = payload.subarray(2);
      const badCode = !isValidReceivedCloseCode(code);
      const badReason = !isUtf8(reason);
      // Breaking both rules, either verdict is right (RFC 6455 sets no order).
      if (badCode && badReason) return this.fail([Close.PROTOCOL_ERROR, Close.INVALID_DATA], `a close frame with the invalid code ${code} and a reason that is not valid UTF-8`);
      if (badCode) return this.fail([Close.PROTOCOL_ERROR], `a close frame with the invalid code ${code}`);
      if (badReason) return this.fail([Close.INVALID_DATA], 'a close frame whose reason is not valid UTF-8');
      this.events.push({ kind: 'close', code, reason: Buffer.from(reason) });
      return false;
    }
    this.events.push({ kind: 'close', code: null, reason: Buffer.alloc(0) });
    return false;
  }

  /** Checks what a client that fails early could already see in a data frame (or part of one). */
  private dataFramePart(part: Buffer, partOfWholeFrame: boolean): void {
    const message = this.message!;
    if (!message.compressed) {
      if (!message.isBinary) {
        // A partial frame is checked on a copy of the state: the whole frame is pushed later.
        const checker = partOfWholeFrame ? message.utf8 : cloneChecker(message.utf8);
        checker.push(part);
        if (checker.invalid) this.mayFail(Close.INVALID_DATA, 'invalid UTF-8 in a text message');
      }
      return;
    }
    if (message.parts.length + 1 >= MAX_PREFIX_CHECKS || message.size + part.length > MAX_PREFIX_BYTES) {
      for (const code of [Close.INVALID_DATA, Close.TOO_BIG]) this.mayFail(code, 'a compressed message in very many fragments');
      return;
    }
    const prefix = Buffer.concat([...message.parts, part]);
    const result = inflate(prefix, this.windowBits(), this.inflaterHistory(), this.ctx.maxPayload, false);
    if (result.status === 'data-error') this.mayFail(Close.INVALID_DATA, 'invalid DEFLATE data');
    // Bytes after a block with BFINAL in the same message: the client's inflater is at the
    // end of its stream and may refuse them as soon as they arrive (fuzz seed 2109057).
    else if (result.status === 'ok' && result.ended) this.mayFail(Close.INVALID_DATA, 'DEFLATE data after the end of the stream');
    else if (result.status === 'too-big') {
      this.mayFail(Close.TOO_BIG, `a compressed message inflating to more than ${this.ctx.maxPayload} bytes`);
      if (!message.isBinary) this.mayFail(Close.INVALID_DATA, 'invalid UTF-8 within the size limit of a compressed text message');
    }
    else if (!message.isBinary) {
      const checker = new Utf8Checker();
      checker.push(result.data);
      if (checker.invalid) this.mayFail(Close.INVALID_DATA, 'invalid UTF-8 in a compressed text message');
    }
  }

  private dataFrame(payload: Buffer, fin: boolean): boolean {
    const message = this.message!;
    // A compressed message is inflated whole at its last frame; before, as far as it goes.
    if (!message.compressed || !fin) this.dataFramePart(payload, true);
    message.parts.push(payload);
    message.size += payload.length;
    if (!fin) return true;

    const wire = message.parts.length === 1 ? message.parts[0] : Buffer.concat(message.parts);
    let data: Buffer = wire;
    if (message.compressed) {
      const windowBits = this.windowBits();
      const result = inflate(wire, windowBits, this.inflaterHistory(), this.ctx.maxPayload, true);
      if (result.status === 'data-error') {
        const wide = windowBits < 15 ? inflate(wire, 15, this.inflaterHistory(), this.ctx.maxPayload, true) : result;
        if (wide.status === 'ok') return this.unknown('DEFLATE data that refers back beyond the negotiated window');
        return this.fail([Close.INVALID_DATA], 'invalid DEFLATE data');
      }
      if (result.status === 'too-big') {
        // As below: the client's one inflater may already fail on what an earlier message
        // left inside a block (fuzz seed 701644).
        if (!this.continuesTakeoverStream(wire, windowBits)) {
          return this.unknown('DEFLATE data read after an earlier message that ended inside a block');
        }
        const whole = inflate(wire, windowBits, this.inflaterHistory(), MAX_INFLATE_FOR_PREFIX, true);
        // The DEFLATE data also breaks past the limit: the client inflates a read's worth at
        // once and may meet the bad data in the same call, before it counts the output.
        // Either failure is right (as for text, below).
        if (whole.status === 'data-error') {
          return this.fail([Close.INVALID_DATA, Close.TOO_BIG], `a compressed message inflating to more than ${this.ctx.maxPayload} bytes, with invalid DEFLATE data after them`);
        }
        // The client checks the UTF-8 of what inflates within the limit before it stops at
        // the limit (lws 0102): invalid text there fails with 1007 first.
        if (!message.isBinary) {
          if (whole.status !== 'ok') {
            return this.fail([Close.INVALID_DATA, Close.TOO_BIG], `a compressed text message inflating to more than ${this.ctx.maxPayload} bytes`);
          }
          const checker = new Utf8Checker();
          checker.push(whole.data.subarray(0, this.ctx.maxPayload));
          if (checker.invalid) return this.fail([Close.INVALID_DATA], `a compressed text message inflating to more than ${this.ctx.maxPayload} bytes, with invalid UTF-8 within them`);
        }
        return this.fail([Close.TOO_BIG], `a compressed message inflating to more than ${this.ctx.maxPayload} bytes`);
      }
      if (result.ended) return this.unknown('a DEFLATE stream ended with BFINAL inside a message');
      if (!this.continuesTakeoverStream(wire, windowBits, result.data)) {
        return this.unknown('DEFLATE data read after an earlier message that ended inside a block');
      }
      data = result.data;
      if (!message.isBinary && !isUtf8(data)) return this.fail([Close.INVALID_DATA], 'invalid UTF-8 in a compressed text message');
      if (!this.ctx.deflate!.serverNoContextTakeover) this.history = slideWindow(this.history, data);
    } else if (!message.isBinary && !message.utf8.complete) {
      return this.fail([Close.INVALID_DATA], message.utf8.invalid ? 'invalid UTF-8 in a text message' : 'a text message ending inside a UTF-8 sequence');
    }
    this.message = null;
    this.pending.clear();
    const trigger = message.isBinary ? undefined : parseTrigger(data);
    this.events.push({ kind: 'message', message: { isBinary: message.isBinary, data, ...(trigger ? { trigger } : {}) } });
    if (trigger) return false;  // the client closes now: what follows is the ending's business
    return true;
  }

  private windowBits(): number {
    return this.ctx.deflate?.serverMaxWindowBits ?? 15;
  }

  /**
   * With context takeover the client inflates every message with one inflater: a message
   * whose data ended inside a DEFLATE block (a mutated stream) leaves it there, and the
   * next message's bytes continue that block. Inflating each message alone from the
   * history does not see that: replay the whole stream too. False: the client's inflater
   * fails there, or reads this message's bytes as something else than `inflated` (fuzz seed
   * 1024117: a message that ends exactly at the end of a stored block makes the appended
   * 00 00 ff ff the start of a new stored block's header, which swallows the next message).
   */
  private continuesTakeoverStream(wire: Buffer, windowBits: number, inflated?: Buffer): boolean {
    if (this.ctx.deflate?.serverNoContextTakeover || this.takeoverStream === null) return true;
    const stream = Buffer.concat([this.takeoverStream, wire, SYNC_FLUSH_TAIL]);
    if (stream.length > MAX_TAKEOVER_STREAM) {
      this.takeoverStream = null;  // too long to replay each time: no longer checked
      return true;
    }
    const whole = inflate(stream, windowBits, Buffer.alloc(0), MAX_INFLATE_FOR_PREFIX, false);
    if (whole.status === 'data-error') return false;
    if (whole.status === 'too-big') {
      this.takeoverStream = null;  // its output is not known any more: no longer checked
      return true;
    }
    if (inflated && !whole.data.subarray(this.takeoverOutputLength).equals(inflated)) return false;
    this.takeoverStream = stream;
    this.takeoverOutputLength = whole.data.length;
    return true;
  }

  private inflaterHistory(): Buffer {
    return this.ctx.deflate?.serverNoContextTakeover ? Buffer.alloc(0) : this.history;
  }
}

function cloneChecker(checker: Utf8Checker): Utf8Checker {
  return Object.assign(Object.create(Object.getPrototypeOf(checker)) as Utf8Checker, checker);
}

export function opcodeName(op: number): string {
  return ({ 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' } as Record<number, string>)[op] ?? `opcode-${op}`;
}
