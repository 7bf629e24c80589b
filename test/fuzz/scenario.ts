// One fuzz case, a pure function of (seed, face): the client's settings, the peer's answer
// to the upgrade, the bytes it sends after it (valid traffic, violations, byte-level
// mutations), how it cuts them into TCP writes with pauses, and how it ends the connection
// (close handshake, FIN, RST right after a violation or mid-stream, or a close the client
// starts and the peer answers, drops or ignores). The validator's reading of the bytes is
// part of the case: the ending is chosen from it.
import { TRAITS, type ClientPlan, type Face } from './faces';
import { generateHandshake, type HandshakePlan } from './gen-handshake';
import { afterClose, closeFrame, pings, ServerCompressor, trigger, validMessage, violation, type StreamGenContext, type StreamPart } from './gen-stream';
import { Rng } from './rng';
import { validateStream, type StreamEvent } from './validator';

/** How the peer ends the connection once its bytes are written. */
export interface Ending {
  /** linger: wait for the client's close frame or TCP close (at most delayMs), then FIN;
   *  fin / rst: FIN or RST after delayMs. */
  kind: 'linger' | 'fin' | 'rst';
  delayMs: number;
  /** rst mid-stream: only this many bytes of the stream are written. */
  cutAt?: number;
}

/** What the peer does with a close frame the client sends first (it closes on request). */
export interface Reaction {
  reply: 'echo' | 'other' | 'empty' | 'none';
  /** After the reply (or instead of one): FIN, RST, or wait for the client to close TCP. */
  then: 'fin' | 'rst' | 'wait';
  /** reply 'other': the code and reason sent back. */
  code: number;
  reason: string;
}

export interface Chunking {
  /** whole: one write; split: random pieces; bytewise: one byte per write (short streams). */
  mode: 'whole' | 'split' | 'bytewise';
  /** Most pieces in split mode. */
  pieces: number;
  /** Pause between writes: none (a loop turn), or up to this many ms. */
  maxPauseMs: number;
}

export interface FuzzCase {
  seed: number;
  face: Face;
  plan: ClientPlan;
  handshake: HandshakePlan;
  /** Bytes after the response (as written, after mutation and cut). */
  stream: Buffer;
  /** The validator's reading of `stream`. */
  events: StreamEvent[];
  ending: Ending;
  reaction: Reaction;
  chunking: Chunking;
  /** What the case contains, for grouping failures ('violation:long-control:ping', 'ending:rst', ...). */
  labels: string[];
}

export function generateCase(seed: number, face: Face): FuzzCase {
  const rng = new Rng(seed);
  const { plan: partial, handshake } = generateHandshake(rng, face);
  const plan: ClientPlan = { ...partial, face, path: `/fuzz-${face}-${seed}`, tls: rng.chance(0.1) };
  const labels = [handshake.label];
  if (TRAITS[face].cApi && rng.chance(0.3)) {
    plan.closeInCallbacks = true;
    labels.push('close-in-callbacks');
  }
  if (plan.tls) labels.push('tls');
  if (handshake.deflate) labels.push('deflate');

  const ctx: StreamGenContext = {
    rng,
    deflate: handshake.deflate,
    compressor: handshake.deflate ? new ServerCompressor(handshake.deflate) : null,
    maxPayload: handshake.maxPayload,
  };
  const parts = handshake.verdict === 'fail' ? refusedTraffic(ctx) : traffic(ctx);
  let stream: Buffer = Buffer.concat(parts.map((p) => p.bytes));
  labels.push(...new Set(parts.map((p) => p.label)));
  if (handshake.verdict !== 'fail' && stream.length > 0 && rng.chance(0.12)) {
    stream = mutate(rng, stream);
    labels.push('mutated');
  }
  const reaction = chooseReaction(rng);
  let events = validateStream(stream, { deflate: handshake.deflate, maxPayload: handshake.maxPayload });
  let ending: Ending;
  const stop = events[events.length - 1];
  if (handshake.verdict === 'fail') {
    ending = rng.pick<Ending>([{ kind: 'linger', delayMs: 4000 }, { kind: 'fin', delayMs: rng.int(0, 20) }, { kind: 'rst', delayMs: rng.int(0, 5) }]);
  } else if (stop.kind === 'end' && !stop.midFrame) {
    // The stream leaves the connection open: end it one of the ways a server can.
    const how = rng.weighted({ close: 40, trigger: 25, fin: 15, rst: 10, 'rst-mid': 10 });
    if (how === 'close' || how === 'trigger') {
      const tail: StreamPart[] = [];
      if (how === 'close') {
        tail.push({ bytes: closeFrame(rng).bytes, label: 'close' });
        if (rng.chance(0.3)) tail.push(afterClose(ctx));
      } else {
        tail.push(trigger(ctx, { code: rng.chance(0.5) ? 1000 : rng.int(3000, 4999), reason: rng.chance(0.5) ? '' : 'bye' }));
      }
      stream = Buffer.concat([stream, ...tail.map((p) => p.bytes)]);
      labels.push(...tail.map((p) => p.label));
      events = validateStream(stream, { deflate: handshake.deflate, maxPayload: handshake.maxPayload });
      ending = endingAfterClientAction(rng, events[events.length - 1]);
    } else if (how === 'rst-mid') {
      ending = { kind: 'rst', delayMs: rng.int(0, 3), cutAt: rng.int(0, stream.length) };
      stream = stream.subarray(0, ending.cutAt);
      events = validateStream(stream, { deflate: handshake.deflate, maxPayload: handshake.maxPayload });
    } else {
      ending = { kind: how, delayMs: rng.int(0, 50) };
    }
  } else {
    ending = endingAfterClientAction(rng, stop);
  }
  labels.push(`ending:${ending.kind}${ending.cutAt !== undefined ? '-mid' : ''}`);
  if (events.some((e) => e.kind === 'message' && e.message.trigger)) labels.push(`reaction:${reaction.reply}-${reaction.then}`);
  return { seed, face, plan, handshake, stream, events, ending, reaction, chunking: chooseChunking(rng, stream.length), labels };
}

/** Parts after a valid 101: messages and control frames, sometimes a violation or a close. */
function traffic(ctx: StreamGenContext): StreamPart[] {
  const { rng } = ctx;
  const parts: StreamPart[] = [];
  const count = rng.weighted({ none: 10, few: 60, many: 30 }) === 'none' ? 0 : rng.int(1, rng.chance(0.7) ? 4 : 12);
  for (let i = 0; i < count; i++) parts.push(rng.chance(0.8) ? validMessage(ctx) : pings(rng));
  const violations = rng.chance(0.45) ? (rng.chance(0.85) ? 1 : 2) : 0;
  for (let i = 0; i < violations; i++) parts.splice(rng.int(0, parts.length), 0, violation(ctx));
  if (rng.chance(0.06)) {
    // A close in the middle: what follows it must be ignored.
    const at = rng.int(0, parts.length);
    parts.splice(at, 0, { bytes: closeFrame(rng).bytes, label: 'close' }, afterClose(ctx));
  }
  return parts;
}

/** After a 101 the client must refuse: a few frames it must never deliver. */
function refusedTraffic(ctx: StreamGenContext): StreamPart[] {
  const parts: StreamPart[] = [];
  if (ctx.rng.chance(0.5)) for (let i = ctx.rng.int(1, 3); i > 0; i--) parts.push(validMessage(ctx, 4096));
  return parts;
}

function endingAfterClientAction(rng: Rng, stop: StreamEvent): Ending {
  switch (stop.kind) {
    case 'fail':
      return rng.weighted({ linger: 50, rst: 30, fin: 20 }) === 'linger' ? { kind: 'linger', delayMs: 4000 }
        : rng.chance(0.6) ? { kind: 'rst', delayMs: rng.int(0, 3) } : { kind: 'fin', delayMs: rng.int(0, 20) };
    case 'close': {
      const kind = rng.weighted({ linger: 60, fin: 25, rst: 15 });
      return { kind, delayMs: kind === 'linger' ? 4000 : rng.int(0, 5) };
    }
    case 'message':  // the trigger: the client closes, the reaction answers
      return { kind: 'linger', delayMs: 9000 };
    case 'unknown':
      return rng.chance(0.5) ? { kind: 'linger', delayMs: 300 } : { kind: rng.pick(['fin', 'rst'] as const), delayMs: rng.int(0, 20) };
    case 'end':
    default:
      return { kind: rng.pick(['fin', 'rst'] as const), delayMs: rng.int(0, 50) };
  }
}

function chooseReaction(rng: Rng): Reaction {
  const kind = rng.weighted({ echo: 40, other: 12, empty: 10, 'drop-fin': 15, 'drop-rst': 15, ignore: 3, 'echo-wait': 5 });
  const code = rng.int(3000, 4999);
  switch (kind) {
    case 'drop-fin': return { reply: 'none', then: 'fin', code, reason: '' };
    case 'drop-rst': return { reply: 'none', then: 'rst', code, reason: '' };
    case 'ignore': return { reply: 'none', then: 'wait', code, reason: '' };
    case 'echo-wait': return { reply: 'echo', then: 'wait', code, reason: '' };
    case 'other': return { reply: 'other', then: 'fin', code, reason: rng.chance(0.5) ? 'other' : '' };
    default: return { reply: kind, then: 'fin', code, reason: '' };
  }
}

function chooseChunking(rng: Rng, streamLength: number): Chunking {
  const mode = streamLength < 3000 && rng.chance(0.15) ? 'bytewise' : rng.weighted({ whole: 35, split: 65 });
  const pauses = rng.weighted({ none: 60, short: 30, long: 10 });
  return { mode, pieces: rng.int(2, 60), maxPauseMs: pauses === 'none' ? 0 : pauses === 'short' ? 3 : 30 };
}

/** A few byte-level mutations: bit flips, replaced, deleted, inserted and duplicated bytes. */
function mutate(rng: Rng, input: Buffer): Buffer {
  let bytes = Buffer.from(input);
  for (let n = rng.int(1, 3); n > 0 && bytes.length > 0; n--) {
    const at = rng.int(0, bytes.length - 1);
    const span = rng.int(1, 8);
    switch (rng.weighted({ flip: 4, replace: 2, delete: 1, insert: 1, duplicate: 1 })) {
      case 'flip': bytes[at] ^= 1 << rng.int(0, 7); break;
      case 'replace': bytes[at] = rng.int(0, 255); break;
      case 'delete': bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + span)]); break;
      case 'insert': bytes = Buffer.concat([bytes.subarray(0, at), rng.bytes(span), bytes.subarray(at)]); break;
      case 'duplicate': bytes = Buffer.concat([bytes.subarray(0, at + span), bytes.subarray(at, at + span), bytes.subarray(at + span)]); break;
    }
  }
  return bytes;
}
