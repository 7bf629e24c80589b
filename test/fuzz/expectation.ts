// What a correct client must report for a case: the validator's events turned into the
// messages it delivers, the pings it answers, and the acceptable ways the connection ends,
// given how the peer ends it. After a RST the client may have seen any prefix of the bytes,
// so every earlier stopping point is acceptable too.
import type { FuzzCase } from './scenario';
import type { HandshakeVerdict } from './gen-handshake';
import type { ExpectedMessage } from './validator';

export type Outcome =
  /** The client fails the connection with one of `codes` after delivering `delivered` messages. */
  | { kind: 'fail'; codes: number[]; delivered: number; why: string }
  /** A clean close with the close frame's code (null: none) and reason. */
  | { kind: 'closed'; code: number | null; reason: Buffer; delivered: number; by: 'server' | 'client' }
  /** The TCP connection ended without a closing handshake. */
  | { kind: 'abnormal'; minDelivered: number; maxDelivered: number; clientClosing: boolean }
  /** Beyond the model: only the generic checks apply once `minDelivered` messages are in. */
  | { kind: 'unknown'; minDelivered: number; why: string }
  | { kind: 'handshake-fail' };

export interface PingExpectation {
  payload: Buffer;
  /** How many messages were complete when the ping arrived: the echo of message `before`
   *  and of every later one must follow its pong. */
  before: number;
}

export interface Expectation {
  handshake: HandshakeVerdict;
  messages: ExpectedMessage[];
  pings: PingExpectation[];
  outcomes: Outcome[];
}

export function expectationFor(c: FuzzCase): Expectation {
  const messages: ExpectedMessage[] = [];
  const pings: PingExpectation[] = [];
  const outcomes: Outcome[] = [];
  // After a RST the client may not even have read the 101.
  if (c.handshake.verdict !== 'open' || c.ending.kind === 'rst') outcomes.push({ kind: 'handshake-fail' });
  if (c.handshake.verdict === 'fail') return { handshake: 'fail', messages, pings, outcomes };
  if (!c.handshake.trusted) {
    outcomes.push({ kind: 'unknown', minDelivered: 0, why: 'the 101 was mutated' });
    return { handshake: c.handshake.verdict, messages, pings, outcomes };
  }

  // After a RST, any prefix of the stream may be all the client saw.
  const anyPrefix = c.ending.kind === 'rst';
  const pending = new Set<number>();
  let delivered = 0;
  walk: for (const e of c.events) {
    switch (e.kind) {
      case 'message': {
        messages.push(e.message);
        delivered += 1;
        pending.clear();
        const trigger = e.message.trigger;
        if (!trigger) break;
        const { reaction } = c;
        if (reaction.reply === 'none') outcomes.push({ kind: 'abnormal', minDelivered: delivered, maxDelivered: delivered, clientClosing: true });
        else {
          const code = reaction.reply === 'echo' ? trigger.code : reaction.reply === 'other' ? reaction.code : null;
          const reason = reaction.reply === 'echo' ? trigger.reason : reaction.reply === 'other' ? reaction.reason : '';
          outcomes.push({ kind: 'closed', code, reason: Buffer.from(reason, 'utf8'), delivered, by: 'client' });
        }
        break walk;
      }
      case 'ping':
        pings.push({ payload: e.payload, before: delivered });
        break;
      case 'may-fail':
        // The client may fail here already (it may also wait: a later event says what then).
        pending.add(e.code);
        outcomes.push({ kind: 'fail', codes: [...pending].sort(), delivered, why: e.why });
        break;
      case 'fail':
        outcomes.push({ kind: 'fail', codes: e.codes, delivered, why: e.why });
        break walk;
      case 'close':
        outcomes.push({ kind: 'closed', code: e.code, reason: e.reason, delivered, by: 'server' });
        break walk;
      case 'unknown':
        outcomes.push({ kind: 'unknown', minDelivered: delivered, why: e.why });
        break walk;
      case 'end':
        outcomes.push({ kind: 'abnormal', minDelivered: delivered, maxDelivered: delivered, clientClosing: false });
        if (pending.size) outcomes.push({ kind: 'fail', codes: [...pending].sort(), delivered, why: 'invalid data before the end' });
        break walk;
    }
  }
  // First in the list: when nothing matches, the judge explains by the last outcome, the one
  // the whole stream leads to.
  if (anyPrefix) outcomes.unshift({ kind: 'abnormal', minDelivered: 0, maxDelivered: delivered, clientClosing: false });
  return { handshake: c.handshake.verdict, messages, pings, outcomes };
}

export function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'fail': return `fail with ${o.codes.join('/')} after ${o.delivered} message(s) (${o.why})`;
    case 'closed': return `clean close ${o.code ?? 'without code'} after ${o.delivered} message(s), started by the ${o.by}`;
    case 'abnormal': return `abnormal closure after ${o.minDelivered === o.maxDelivered ? o.minDelivered : `${o.minDelivered}-${o.maxDelivered}`} message(s)`;
    case 'unknown': return `anything after ${o.minDelivered} message(s) (${o.why})`;
    case 'handshake-fail': return 'the handshake fails';
  }
}
