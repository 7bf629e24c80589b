// The verdict on one case: what the client reported (from its child process) and what it
// did on the wire (seen by the raw peer), against the expectation. Each failure gets a
// category, so runs can be summed up per face and category and known defects recognised.
import zlib from 'node:zlib';
import { Op, type RawConnection } from '../conformance/raw-server';
import { describeOutcome, expectationFor, type Expectation, type Outcome } from './expectation';
import { echoes, isTerminal, TRAITS, type ClientReport, type Face } from './faces';
import type { FuzzCase } from './scenario';
import type { ExpectedMessage } from './validator';

/** What a fuzz case can show. */
export const FUZZ_CATEGORIES = [
  'crash', 'hang', 'no-exit', 'exception', 'terminal-events', 'handshake', 'forbidden-delivery', 'lost-message',
  'close-report', 'close-frame', 'echo', 'pong', 'pong-order', 'client-protocol', 'tcp-not-closed', 'c-api-return',
] as const;
/** What the soak and the collectability test can show. */
export const RESOURCE_CATEGORIES = ['leak', 'unbounded-send', 'cycle'] as const;
export type Category = (typeof FUZZ_CATEGORIES)[number] | (typeof RESOURCE_CATEGORIES)[number];

export interface Failure {
  category: Category;
  detail: string;
}

/** What happened in one case. */
export interface Observation {
  reports: ClientReport[];
  /** The peer's side of the connection; null if no request arrived. */
  conn: RawConnection | null;
  /** No terminal event arrived before the deadline. */
  timedOut: boolean;
}

/** OpenHarmony's error codes the faces report. */
const OH = { CONNECTION_ERROR: 1003, PROTOCOL_ERROR: 1009, DATA_LENGTH_EXCEEDS: 1012, HAVE_NO_CONNECT: 1017 } as const;

/** The reasons the C API gives with 1001 when no close code is known. */
const C_NO_CODE = { clean: 'closed without a status code', abnormal: 'connection closed abnormally' };

/** Whether a client's close frame answers the server's close (RFC 6455 5.5.1: with its code,
 *  or 1000); any other code is the client failing the connection. */
export function answersClose(clientCode: number | null, serverCode: number | null): boolean {
  return clientCode === serverCode || clientCode === 1000;
}

export function judge(c: FuzzCase, observation: Observation): Failure[] {
  return new Judgement(c, expectationFor(c), observation).run();
}

function hex(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}

function describeMessage(m: { isBinary?: boolean; len: number; crc: number }): string {
  return `${m.isBinary === undefined ? '' : m.isBinary ? 'binary ' : 'text '}${m.len}B crc ${m.crc.toString(16)}`;
}

class Judgement {
  private readonly failures: Failure[] = [];
  private readonly face: Face;
  private readonly cApi: boolean;

  constructor(private readonly c: FuzzCase, private readonly exp: Expectation, private readonly obs: Observation) {
    this.face = c.face;
    this.cApi = TRAITS[c.face].cApi;
  }

  private fail(category: Category, detail: string): void {
    this.failures.push({ category, detail });
  }

  run(): Failure[] {
    const { reports } = this.obs;
    for (const r of reports) if (r.ev === 'exception') this.fail('exception', r.message);
    for (const r of reports) {
      if (r.ev === 'close-rc' && r.rc !== OH.HAVE_NO_CONNECT) this.fail('c-api-return', `Close inside on${r.where === 'error' ? 'Error' : 'Close'} returned ${r.rc}, not ${OH.HAVE_NO_CONNECT}`);
    }

    // Exactly one terminal event, and nothing reported after it.
    let opened = false;
    let terminal = -1;
    let terminals = 0;
    reports.forEach((r, i) => {
      if (r.ev === 'open') opened = true;
      if (isTerminal(this.face, r, opened)) {
        terminals += 1;
        if (terminal < 0) terminal = i;
      }
    });
    if (terminals === 0) {
      this.fail('hang', this.obs.timedOut ? 'no terminal event before the deadline' : 'no terminal event');
      return this.failures;
    }
    if (terminals > 1) this.fail('terminal-events', `${terminals} terminal events: ${this.summary()}`);
    const late = reports.slice(terminal + 1).filter((r) => r.ev === 'open' || r.ev === 'message' || r.ev === 'error');
    if (late.length) this.fail('terminal-events', `${late.map((r) => r.ev).join(', ')} after the terminal event`);

    const seen = reports.slice(0, terminal + 1);
    this.judgeOutcome(seen, opened);
    this.judgeWire(seen, opened);
    return this.failures;
  }

  private summary(): string {
    return this.obs.reports.map((r) => {
      switch (r.ev) {
        case 'message': return `message(${describeMessage(r)})`;
        case 'close': return `close(${r.code}, clean=${r.clean})`;
        case 'error': case 'rejected': return `${r.ev}(${r.code} ${r.name})`;
        default: return r.ev;
      }
    }).join(' ');
  }

  // ---- what the application saw --------------------------------------------------------

  private judgeOutcome(seen: ClientReport[], opened: boolean): void {
    let best: string[] | null = null;
    let bestOutcome: Outcome | null = null;
    for (const outcome of this.exp.outcomes) {
      const problems = this.mismatches(outcome, seen, opened);
      if (problems.length === 0) return;
      // Explain a mismatch by the outcome closest to what happened: an opened connection is
      // not best described as a failed handshake, nor the reverse.
      if (opened !== (outcome.kind !== 'handshake-fail')) problems.push(...Array<string>(10).fill('handshake|'));
      // On a tie the later outcome wins: outcomes end with the definitive one.
      if (!best || problems.length <= best.length) {
        best = problems;
        bestOutcome = outcome;
      }
    }
    const [first] = best!;
    const expected = `expected ${describeOutcome(bestOutcome!)}`;
    // One failure per case for the report; its category comes from the first problem.
    const [category, detail] = first.split('|') as [Category, string];
    this.fail(category, `${detail}; ${expected}; got: ${this.summary()}`);
  }

  /** Why `seen` is not `outcome` ("category|detail" strings; none: it matches). */
  private mismatches(outcome: Outcome, seen: ClientReport[], opened: boolean): string[] {
    const problems: string[] = [];
    const messages = seen.filter((r): r is Extract<ClientReport, { ev: 'message' }> => r.ev === 'message');
    const errors = seen.filter((r) => r.ev === 'error');
    const close = seen.find((r): r is Extract<ClientReport, { ev: 'close' }> => r.ev === 'close');

    if (outcome.kind === 'handshake-fail') {
      if (opened) problems.push(`handshake|the client opened after ${this.c.handshake.label}`);
      if (messages.length) problems.push(`forbidden-delivery|${messages.length} message(s) delivered on a refused handshake`);
      if (!opened) this.handshakeFailureReport(seen, problems);
      return problems;
    }
    if (!opened) {
      problems.push(`handshake|the handshake failed (${this.summary()}) after ${this.c.handshake.label}`);
      return problems;
    }
    const open = seen.find((r): r is Extract<ClientReport, { ev: 'open' }> => r.ev === 'open')!;
    if (this.c.handshake.trusted && this.c.handshake.verdict === 'open' && TRAITS[this.face].reportsNegotiation) {
      if (open.protocol !== this.c.handshake.protocol) problems.push(`handshake|open reports protocol ${JSON.stringify(open.protocol)}, not ${JSON.stringify(this.c.handshake.protocol)}`);
      if (TRAITS[this.face].deflate && (open.extensions === '') !== (this.c.handshake.deflate === null)) {
        problems.push(`handshake|open reports extensions ${JSON.stringify(open.extensions)} (deflate negotiated: ${this.c.handshake.deflate !== null})`);
      }
    }

    // Messages: a prefix of the expected ones, exactly.
    const [min, max] = outcome.kind === 'abnormal' ? [outcome.minDelivered, outcome.maxDelivered]
      : outcome.kind === 'unknown' ? [outcome.minDelivered, Infinity] : [outcome.delivered, outcome.delivered];
    const compared = Math.min(messages.length, this.exp.messages.length);
    for (let i = 0; i < compared && i < (outcome.kind === 'unknown' ? outcome.minDelivered : Infinity); i++) {
      const diff = this.messageDiff(messages[i], this.exp.messages[i]);
      if (diff) {
        problems.push(`forbidden-delivery|message ${i}: ${diff}`);
        return problems;
      }
    }
    if (messages.length > max) problems.push(`forbidden-delivery|${messages.length - max} message(s) delivered beyond the ${max} allowed`);
    if (messages.length < min) problems.push(`lost-message|${messages.length} of ${min} message(s) delivered`);
    if (outcome.kind === 'unknown') return problems;

    if (!close) {
      problems.push('close-report|no close event');
      return problems;
    }
    if (outcome.kind === 'fail') {
      if (!errors.length) problems.push(`close-report|no error event although the connection failed (${outcome.why})`);
      if (!outcome.codes.includes(close.code)) problems.push(`close-report|close code ${close.code}, not ${outcome.codes.join('/')} (${outcome.why})`);
      if (close.clean === true) problems.push(`close-report|wasClean true on a failed connection (${outcome.why})`);
      const error = errors[0];
      const ohCode = close.code === 1009 ? OH.DATA_LENGTH_EXCEEDS : OH.PROTOCOL_ERROR;
      if (error?.ev === 'error' && error.code !== ohCode && outcome.codes.includes(close.code)) problems.push(`close-report|error code ${error.code}, not ${ohCode}`);
    } else if (outcome.kind === 'closed') {
      if (errors.length) problems.push(`close-report|an error event on a clean close: ${this.summary()}`);
      const [code, reason] = this.cApi && outcome.code === null ? [1001, hex(C_NO_CODE.clean)]
        : [outcome.code ?? 1005, outcome.reason.toString('hex')];
      if (close.code !== code) problems.push(`close-report|close code ${close.code}, not ${code}`);
      else if (close.reason !== reason) problems.push(`close-report|close reason ${Buffer.from(close.reason, 'hex').toString()}, not ${Buffer.from(reason, 'hex').toString()}`);
      if (close.clean === false) problems.push('close-report|wasClean false on a clean close');
    } else if (outcome.kind === 'abnormal') {
      const code = this.cApi ? 1001 : 1006;
      if (close.code !== code) problems.push(`close-report|close code ${close.code}, not ${code} (the TCP connection ended without a closing handshake)`);
      else if (this.cApi && close.reason !== hex(C_NO_CODE.abnormal)) problems.push(`close-report|close reason ${Buffer.from(close.reason, 'hex').toString()}`);
      if (close.clean === true) problems.push('close-report|wasClean true although the closing handshake did not complete');
    }
    return problems;
  }

  private handshakeFailureReport(seen: ClientReport[], problems: string[]): void {
    const errors = seen.filter((r) => r.ev === 'error' || r.ev === 'rejected');
    const close = seen.find((r): r is Extract<ClientReport, { ev: 'close' }> => r.ev === 'close');
    if (!errors.length) problems.push('close-report|no error on a failed handshake');
    if (this.cApi) {
      const error = errors[0];
      if (error && error.code !== OH.CONNECTION_ERROR) problems.push(`close-report|onError ${error.code}, not ${OH.CONNECTION_ERROR}`);
    } else if (this.face !== 'connect') {
      if (!close) problems.push('close-report|no close event on a failed handshake');
      else if (close.code !== 1006 || close.clean === true) problems.push(`close-report|close ${close.code} clean=${close.clean}, not 1006`);
    }
  }

  private messageDiff(got: Extract<ClientReport, { ev: 'message' }>, want: ExpectedMessage): string | null {
    const wantCrc = zlib.crc32(want.data);
    const sameType = got.binary === null || got.binary === want.isBinary;
    if (sameType && got.len === want.data.length && got.crc === wantCrc) return null;
    return `got ${describeMessage({ isBinary: got.binary ?? undefined, len: got.len, crc: got.crc })} (${got.head}…), `
      + `expected ${describeMessage({ isBinary: this.cApi ? undefined : want.isBinary, len: want.data.length, crc: wantCrc })} (${want.data.subarray(0, 16).toString('hex')}…)`;
  }

  // ---- what the client did on the wire -------------------------------------------------

  private judgeWire(seen: ClientReport[], opened: boolean): void {
    const conn = this.obs.conn;
    if (!conn) return;
    if (conn.tcpOpen) this.fail('tcp-not-closed', 'the TCP connection is still open after the terminal event');
    const violations = conn.violations.filter((v) => !(v.includes('sent before the 101') && !opened && this.c.handshake.verdict !== 'fail'));
    if (violations.length) this.fail('client-protocol', violations.join('; '));
    if (!opened) {
      if (this.c.ending.kind === 'linger' && this.c.handshake.wholeHead && conn.tcp === 'closed by server') {
        this.fail('tcp-not-closed', 'the client did not close the TCP connection of a failed handshake');
      }
      return;
    }
    const outcome = this.matchedOutcome(seen);
    if (!outcome || outcome.kind === 'unknown' || !this.c.handshake.trusted) return;
    this.judgeEchoes(seen);
    this.judgePongs(outcome);
    this.judgeCloseFrame(outcome);
  }

  /** The outcome the reports matched (null when none did: already a failure). */
  private matchedOutcome(seen: ClientReport[]): Outcome | null {
    const opened = seen.some((r) => r.ev === 'open');
    return this.exp.outcomes.find((o) => this.mismatches(o, seen, opened).length === 0) ?? null;
  }

  /** Indices of the delivered messages the client echoes. */
  private echoedIndices(delivered: number): number[] {
    const indices: number[] = [];
    for (let i = 0; i < delivered && i < this.exp.messages.length; i++) {
      const m = this.exp.messages[i];
      if (echoes(this.face, m.data, m.trigger !== undefined)) indices.push(i);
    }
    return indices;
  }

  private judgeEchoes(seen: ClientReport[]): void {
    const conn = this.obs.conn!;
    const delivered = seen.filter((r) => r.ev === 'message').length;
    const indices = this.echoedIndices(delivered);
    conn.messages.forEach((echo, i) => {
      const index = indices[i];
      const want = index === undefined ? undefined : this.exp.messages[index];
      const sameType = this.cApi || echo.isBinary === want?.isBinary;
      if (!want || !sameType || !echo.data.equals(want.data)) {
        this.fail('echo', `echo ${i} (${echo.data.length}B) is not message ${index ?? '-'} (${want?.data.length ?? '-'}B)`);
      }
    });
    // Fewer echoes than messages is no fault: a message that arrived with the close frame
    // reaches the application after the close reply left, when sending is over.
  }

  private judgePongs(outcome: Outcome): void {
    const conn = this.obs.conn!;
    const pings = this.exp.pings;
    const got = conn.pongs.map((p) => p.payload);
    got.forEach((payload, i) => {
      if (i >= pings.length || !payload.equals(pings[i].payload)) {
        this.fail('pong', `pong ${i} (${payload.toString('hex')}) does not answer ping ${i} (${pings[i]?.payload.toString('hex') ?? 'none'})`);
      }
    });
    // Every ping gets its own pong once the close handshake completed normally.
    if (outcome.kind === 'closed' && this.peerKeptReading() && got.length < pings.length) {
      this.fail('pong', `${got.length} pong(s) for ${pings.length} ping(s)`);
    }
    // A ping is answered before any data frame sent after it arrived.
    const echoed = this.echoedIndices(this.exp.messages.length);
    let pongs = 0;
    let echo = 0;
    for (const frame of conn.frames) {
      if (frame.opcode === Op.PONG) pongs += 1;
      if (frame.opcode !== Op.TEXT && frame.opcode !== Op.BINARY) continue;
      const index = echoed[echo++];
      if (index === undefined) break;
      const due = pings.filter((p) => p.before <= index).length;
      if (pongs < due) {
        this.fail('pong-order', `the echo of message ${index} left before the pong of ping ${pongs} (${due} ping(s) had arrived)`);
        break;
      }
    }
  }

  /** Whether the client could still send everything after the peer's last bytes: not after a
   *  RST, nor after a TLS close_notify (a FIN over TLS ends the session's reading side). */
  private peerKeptReading(): boolean {
    return this.c.ending.kind === 'linger' || (this.c.ending.kind === 'fin' && !this.c.plan.tls);
  }

  /** The stream ended with the server's close and the client's failing close frame carried
   *  a code that also answers it: the peer (peer.ts) then closes TCP first, as a server does
   *  after the closing handshake, so the client could not show that it closes TCP itself. */
  private peerTookForAnswer(clientCode: number | null): boolean {
    const stop = this.c.events[this.c.events.length - 1];
    return stop?.kind === 'close' && answersClose(clientCode, stop.code);
  }

  private judgeCloseFrame(outcome: Outcome): void {
    const conn = this.obs.conn!;
    const frame = conn.closeFrame;
    if (!this.peerKeptReading()) return;
    if (outcome.kind === 'fail') {
      // RFC 6455 7.1.7: failing, an endpoint SHOULD send a close frame; none can go inside a
      // frame of its own that it had half written (a large message going out in pieces), so
      // then the client fails without one (lws patch 0017, patches/lws/README.md).
      if (!frame && conn.partialFrameBytes > 0) return;
      if (!frame) this.fail('close-frame', `no close frame from the client (expected ${outcome.codes.join('/')})`);
      else if (frame.code === null || !outcome.codes.includes(frame.code)) this.fail('close-frame', `close frame with ${frame.code}, not ${outcome.codes.join('/')}`);
      else if (this.c.ending.kind === 'linger' && conn.tcp === 'closed by server' && !this.peerTookForAnswer(frame.code)) this.fail('tcp-not-closed', 'the client failed the connection but left the TCP connection open');
    } else if (outcome.kind === 'closed' && outcome.by === 'server') {
      if (!frame) this.fail('close-frame', 'the server\'s close frame was not answered');
      else if (!answersClose(frame.code, outcome.code)) this.fail('close-frame', `close reply ${frame.code}, not ${outcome.code} or 1000`);
    } else if (outcome.kind === 'closed' || (outcome.kind === 'abnormal' && outcome.clientClosing)) {
      const trigger = this.exp.messages[this.exp.messages.length - 1]?.trigger;
      if (trigger && frame?.code !== trigger.code) this.fail('close-frame', `the client closed with ${frame?.code ?? 'no close frame'}, not ${trigger.code}`);
    }
  }
}
