// The frames a fuzz peer sends after its 101: valid traffic (text and binary messages from
// 0 B to several MiB, fragmented, compressed or not, with pings and pongs between the
// fragments) mixed with protocol violations. Each part carries a label naming what it is,
// so failures can be grouped by what provoked them. Whether the client must fail, and how,
// is NOT decided here: the validator reads the bytes.
import { deflatePayload, encodeFrame, closePayload, Op, type NegotiatedDeflate } from '../conformance/raw-server';
import { triggerMessage, type CloseTrigger } from './validator';
import { Rng } from './rng';

export interface StreamPart {
  bytes: Buffer;
  label: string;
}

const MiB = 1024 * 1024;
const MAX_WINDOW = 32 * 1024;

/** The server's compressor: each message continues the window of those compressed before it
 *  (unless server_no_context_takeover), so messages must be compressed in sending order. */
export class ServerCompressor {
  private history: Buffer = Buffer.alloc(0);

  constructor(private readonly deflate: NegotiatedDeflate) {}

  compress(data: Buffer): Buffer {
    const takeover = !this.deflate.serverNoContextTakeover;
    const payload = deflatePayload(data, { windowBits: this.deflate.serverMaxWindowBits, history: takeover ? this.history : undefined });
    if (takeover) {
      this.history = data.length >= MAX_WINDOW
        ? Buffer.from(data.subarray(-MAX_WINDOW))
        : Buffer.concat([this.history.subarray(Math.max(0, this.history.length + data.length - MAX_WINDOW)), data]);
    }
    return payload;
  }
}

export interface StreamGenContext {
  rng: Rng;
  deflate: NegotiatedDeflate | null;
  compressor: ServerCompressor | null;
  maxPayload: number;
}

// ---- payloads -------------------------------------------------------------------------

// Making random bytes one at a time costs more than everything else a case does: payloads
// are cut from pools made once (from a fixed seed, so cases stay pure functions of theirs).
const POOL = new Rng(0x5eed).bytes(1 << 20);
/** Characters of every UTF-8 length, each as its bytes: mostly ASCII, then 2-, 3- and 4-byte ones. */
const CHARACTERS: Buffer[] = (() => {
  const rng = new Rng(0xc0de);
  return Array.from({ length: 1024 }, (_, i) => {
    const kind = i % 100;
    let cp: number;
    if (kind < 75) cp = rng.int(0x20, 0x7e);
    else if (kind < 87) cp = rng.int(0x80, 0x7ff);
    else if (kind < 96) {
      cp = rng.int(0x800, 0xfffd);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000;
    } else cp = rng.int(0x10000, 0x10ffff);
    return Buffer.from(String.fromCodePoint(cp), 'utf8');
  });
})();
const TEXT_POOL = (() => {
  const rng = new Rng(0x7e47);
  return Buffer.concat(Array.from({ length: 64 * 1024 }, () => CHARACTERS[rng.int(0, CHARACTERS.length - 1)]));
})();

/** Random valid UTF-8 of about `n` bytes (never more): ASCII with 2-, 3- and 4-byte characters. */
export function randomText(rng: Rng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  // Whole characters from the pool, starting anywhere on a character boundary.
  while (n - i > 64) {
    let from = rng.int(0, TEXT_POOL.length - 1);
    while ((TEXT_POOL[from] & 0xc0) === 0x80) from -= 1;
    let to = Math.min(TEXT_POOL.length, from + rng.int(1, n - i));
    while (to < TEXT_POOL.length && (TEXT_POOL[to] & 0xc0) === 0x80) to -= 1;
    if (to <= from) continue;
    i += TEXT_POOL.copy(out, i, from, to);
  }
  for (;;) {
    const c = CHARACTERS[rng.int(0, CHARACTERS.length - 1)];
    if (i + c.length > n) {
      if (n - i === 0 || c.length === 1) break;
      continue;
    }
    i += c.copy(out, i);
  }
  return out.subarray(0, i);
}

export function randomBinary(rng: Rng, n: number): Buffer {
  if (n <= 64) return rng.bytes(n);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n;) {
    const from = rng.int(0, POOL.length - 1);
    i += POOL.copy(out, i, from, Math.min(POOL.length, from + (n - i)));
  }
  return out;
}

/** Splits a payload into fragments (some possibly empty). */
function fragment(rng: Rng, payload: Buffer): Buffer[] {
  const shape = rng.weighted({ one: 70, few: 22, many: 8 });
  if (shape === 'one') return [payload];
  const count = shape === 'few' ? rng.int(2, 4) : rng.int(5, 40);
  const cuts = Array.from({ length: count - 1 }, () => rng.int(0, payload.length)).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const cut of [...cuts, payload.length]) {
    pieces.push(payload.subarray(last, cut));
    last = cut;
  }
  return pieces;
}

function controlFrame(rng: Rng): Buffer {
  const payload = rng.bytes(rng.chance(0.7) ? rng.int(0, 16) : rng.int(0, 125));
  return encodeFrame({ opcode: rng.chance(0.8) ? Op.PING : Op.PONG, payload });
}

/** A message's frames: RSV1 on the first when compressed, FIN on the last, maybe pings between. */
function messageFrames(rng: Rng, opcode: number, payload: Buffer, compressed: boolean, pieces = fragment(rng, payload)): Buffer {
  const out: Buffer[] = [];
  pieces.forEach((piece, i) => {
    if (i > 0 && rng.chance(0.25)) out.push(controlFrame(rng));
    out.push(encodeFrame({ opcode: i === 0 ? opcode : Op.CONTINUATION, payload: piece, fin: i === pieces.length - 1, rsv: i === 0 && compressed ? 4 : 0 }));
  });
  return Buffer.concat(out);
}

// ---- valid parts ----------------------------------------------------------------------

export function validMessage(ctx: StreamGenContext, cap = 6 * MiB): StreamPart {
  const { rng } = ctx;
  const isBinary = rng.chance(0.45);
  const size = rng.size(Math.min(cap, ctx.maxPayload));
  const data = isBinary ? randomBinary(rng, size) : randomText(rng, size);
  // Compressing several MiB costs the peer more than the client: large ones go uncompressed.
  const compressed = ctx.compressor !== null && size <= MiB && rng.chance(0.6);
  const payload = compressed ? ctx.compressor!.compress(data) : data;
  return { bytes: messageFrames(rng, isBinary ? Op.BINARY : Op.TEXT, payload, compressed), label: compressed ? 'message:compressed' : 'message' };
}

export function pings(rng: Rng): StreamPart {
  const count = rng.chance(0.7) ? 1 : rng.int(2, 6);
  return { bytes: Buffer.concat(Array.from({ length: count }, () => controlFrame(rng))), label: count > 1 ? 'control:burst' : 'control' };
}

export function closeFrame(rng: Rng): { bytes: Buffer; code: number | null } {
  if (rng.chance(0.1)) return { bytes: encodeFrame({ opcode: Op.CLOSE }), code: null };
  const code = rng.pick([1000, 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, rng.int(3000, 4999), 4999]);
  const reason = rng.chance(0.5) ? Buffer.alloc(0) : randomText(rng, rng.int(0, 123));
  return { bytes: encodeFrame({ opcode: Op.CLOSE, payload: closePayload(code, reason) }), code };
}

export function trigger(ctx: StreamGenContext, request: CloseTrigger): StreamPart {
  const data = triggerMessage(request);
  const compressed = ctx.compressor !== null && ctx.rng.chance(0.5);
  const payload = compressed ? ctx.compressor!.compress(data) : data;
  return { bytes: messageFrames(ctx.rng, Op.TEXT, payload, compressed, [payload]), label: 'trigger' };
}

// ---- violations -----------------------------------------------------------------------

const INVALID_UTF8 = [
  [0xff], [0xfe], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
  [0x80], [0xc2, 0x41], [0xe2, 0x28, 0xa1],
];
const TRUNCATED_UTF8 = [[0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xe2]];

const VIOLATION_WEIGHTS = {
  'reserved-opcode': 6, 'rsv-bits': 6, 'masked-frame': 4, 'long-control': 6, 'fragmented-control': 4,
  'orphan-continuation': 4, 'nested-message': 4, 'invalid-utf8': 8, 'truncated-utf8': 6, 'length-top-bit': 3,
  'huge-length': 5, 'over-limit': 4, 'bad-close': 8, 'bad-deflate': 4, 'deflate-bomb': 2, 'compressed-invalid-utf8': 3,
} as const;
export type ViolationKind = keyof typeof VIOLATION_WEIGHTS;

/** A protocol violation (never a valid message). */
export function violation(ctx: StreamGenContext): StreamPart {
  const { rng } = ctx;
  let kind: ViolationKind = rng.weighted(VIOLATION_WEIGHTS);
  const deflateKinds: ViolationKind[] = ['bad-deflate', 'deflate-bomb', 'compressed-invalid-utf8'];
  if (deflateKinds.includes(kind) && !ctx.compressor) kind = 'invalid-utf8';
  if (kind === 'deflate-bomb' && ctx.maxPayload > 4 * MiB) kind = 'bad-deflate';
  if (kind === 'over-limit' && ctx.maxPayload > MiB) kind = 'huge-length';
  const part = (bytes: Buffer, detail = ''): StreamPart => ({ bytes, label: `violation:${kind}${detail ? `:${detail}` : ''}` });
  const smallPayload = () => rng.bytes(rng.int(0, 20));
  switch (kind) {
    case 'reserved-opcode':
      return part(encodeFrame({ opcode: rng.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: smallPayload() }));
    case 'rsv-bits': {
      const where = rng.weighted({ data: 3, control: 2, continuation: 2 });
      if (where === 'data') {
        const rsv = ctx.deflate ? rng.pick([1, 2, 3, 5, 6, 7]) : rng.int(1, 7);
        return part(encodeFrame({ opcode: rng.pick([Op.TEXT, Op.BINARY]), payload: 'rsv', rsv }), 'data');
      }
      if (where === 'control') return part(encodeFrame({ opcode: rng.pick([Op.PING, Op.PONG, Op.CLOSE]), rsv: rng.int(1, 7) }), 'control');
      return part(Buffer.concat([
        encodeFrame({ opcode: Op.TEXT, payload: 'first', fin: false }),
        encodeFrame({ opcode: Op.CONTINUATION, payload: 'second', rsv: rng.int(1, 7) }),
      ]), 'continuation');
    }
    case 'masked-frame':
      return part(encodeFrame({ opcode: rng.pick([Op.TEXT, Op.BINARY, Op.PING]), payload: 'masked', mask: rng.bytes(4) }));
    case 'long-control': {
      const opcode = rng.pick([Op.PING, Op.PING, Op.PONG, Op.CLOSE]);
      const payload = opcode === Op.CLOSE ? closePayload(1000, Buffer.alloc(rng.int(124, 200), 0x61)) : rng.bytes(rng.int(126, 300));
      return part(encodeFrame({ opcode, payload }), opcode === Op.CLOSE ? 'close' : 'ping');
    }
    case 'fragmented-control':
      return part(encodeFrame({ opcode: rng.pick([Op.PING, Op.PONG, Op.CLOSE]), payload: 'frag', fin: false }));
    case 'orphan-continuation':
      return part(encodeFrame({ opcode: Op.CONTINUATION, payload: smallPayload(), fin: rng.chance(0.5) }));
    case 'nested-message':
      return part(Buffer.concat([
        encodeFrame({ opcode: Op.TEXT, payload: 'outer', fin: false }),
        encodeFrame({ opcode: rng.pick([Op.TEXT, Op.BINARY]), payload: 'inner' }),
      ]));
    case 'invalid-utf8': {
      const text = Buffer.concat([randomText(rng, rng.int(0, 40)), Buffer.from(rng.pick(INVALID_UTF8)), randomText(rng, rng.int(0, 40))]);
      return part(messageFrames(rng, Op.TEXT, text, false));
    }
    case 'truncated-utf8': {
      // Ends inside a sequence: invalid only once the message is complete.
      const text = Buffer.concat([randomText(rng, rng.int(0, 60)), Buffer.from(rng.pick(TRUNCATED_UTF8))]);
      return part(messageFrames(rng, Op.TEXT, text, false), ctx.deflate ? 'deflate-negotiated' : '');
    }
    case 'length-top-bit':
      return part(encodeFrame({ opcode: rng.pick([Op.TEXT, Op.BINARY]), payload: smallPayload(), declaredLength64: (1n << 63n) + BigInt(rng.int(0, 1000)) }));
    case 'huge-length': {
      const opcode = rng.pick([Op.TEXT, Op.BINARY]);
      const declared = rng.chance(0.5) ? BigInt(ctx.maxPayload) + BigInt(rng.int(1, 1000)) : 1n << BigInt(rng.int(32, 62));
      const compressed = ctx.compressor !== null && rng.chance(0.3);
      const detail = `${opcode === Op.TEXT ? 'text' : 'binary'}${compressed ? ':compressed' : ctx.deflate ? ':deflate-negotiated' : ''}`;
      return part(encodeFrame({ opcode, payload: smallPayload(), declaredLength64: declared, rsv: compressed ? 4 : 0 }), detail);
    }
    case 'over-limit': {
      const isBinary = rng.chance(0.5);
      const size = ctx.maxPayload + rng.int(1, 1000);
      return part(messageFrames(rng, isBinary ? Op.BINARY : Op.TEXT, isBinary ? randomBinary(rng, size) : randomText(rng, size + 3), false));
    }
    case 'bad-close': {
      const variant = rng.weighted({ 'one-byte': 1, 'invalid-code': 3, 'invalid-reason': 2 });
      if (variant === 'one-byte') return part(encodeFrame({ opcode: Op.CLOSE, payload: Buffer.from([0x03]) }), variant);
      if (variant === 'invalid-code') {
        const code = rng.pick([0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]);
        return part(encodeFrame({ opcode: Op.CLOSE, payload: closePayload(code, rng.chance(0.5) ? 'bye' : '') }), `${variant}:${code}`);
      }
      const reason = Buffer.concat([Buffer.from('bye '), Buffer.from(rng.pick([...INVALID_UTF8, ...TRUNCATED_UTF8]))]);
      return part(encodeFrame({ opcode: Op.CLOSE, payload: closePayload(rng.pick([1000, 1001, 4000]), reason) }), variant);
    }
    case 'bad-deflate': {
      const bytes = rng.pick([
        Buffer.from([0x07, 0xff, 0xff]),                                      // BTYPE=11
        Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00, 0x48, 0x65, 0x6c, 0x6c, 0x6f]), // NLEN != ~LEN
        deflatePayload(randomText(rng, 2000), { history: randomText(rng, 2000) }), // refers to unsent data
      ]);
      return part(messageFrames(rng, rng.pick([Op.TEXT, Op.BINARY]), bytes, true));
    }
    case 'deflate-bomb': {
      const size = Math.min(8 * MiB, ctx.maxPayload + 1 + rng.int(0, ctx.maxPayload * 3));
      // Not through the shared compressor: its window must not hold what the client refuses.
      const payload = deflatePayload(Buffer.alloc(size, rng.int(0, 255)), { windowBits: ctx.deflate!.serverMaxWindowBits });
      return part(messageFrames(rng, rng.pick([Op.TEXT, Op.BINARY]), payload, true));
    }
    case 'compressed-invalid-utf8': {
      const text = Buffer.concat([randomText(rng, rng.int(0, 40)), Buffer.from(rng.pick([...INVALID_UTF8, ...TRUNCATED_UTF8]))]);
      return part(messageFrames(rng, Op.TEXT, deflatePayload(text, { windowBits: ctx.deflate!.serverMaxWindowBits }), true));
    }
  }
}

/** Bytes that follow a close frame: a correct client ignores them. */
export function afterClose(ctx: StreamGenContext): StreamPart {
  const { rng } = ctx;
  const kind = rng.weighted({ garbage: 2, malformed: 2, messages: 1 });
  if (kind === 'garbage') return { bytes: rng.bytes(rng.int(1, 64)), label: 'after-close:garbage' };
  if (kind === 'malformed') return { bytes: violation(ctx).bytes, label: 'after-close:malformed' };
  return { bytes: Buffer.concat([validMessage(ctx, 1000).bytes, controlFrame(rng)]), label: 'after-close:messages' };
}
