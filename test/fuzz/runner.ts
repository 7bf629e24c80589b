// Runs fuzz cases against one face: a child process takes a batch of cases (several in
// flight at once, for speed), the raw peer plays each case's server side, and each case is
// judged when its client reported the end of the connection (or a deadline passed). A child
// that crashes, or does not exit by itself once its input ends, is followed by runs of its
// suspect cases one per child, so the culprit seed is named.
import { sleep, type RawConnection, type RawServer } from '../conformance/raw-server';
import { ClientProcess, cDriverJob, jsonJob, type ChildExit, type ClientCommand } from './client-process';
import { isTerminal, type ClientReport, type Face } from './faces';
import { judge, type Failure } from './judge';
import { playCase, type PeerResult } from './peer';
import type { FuzzCase } from './scenario';

export interface RunnerOptions {
  servers: { plain: RawServer; tls: () => Promise<RawServer> };
  /** How to start a client child for a face. */
  command: (face: Face) => ClientCommand;
  /** Cases in flight at once in one child. */
  concurrency: number;
  /** Cases per child process. */
  batchSize: number;
  /** Scales every deadline (e.g. 3 under ASan). */
  slowdown: number;
  /** Keep a trace of each failing case (its stream as the validator read it, the client's
   *  frames and reports). */
  trace: boolean;
}

export interface CaseResult {
  face: Face;
  seed: number;
  labels: string[];
  failures: Failure[];
  /** Wall time of the case, ms, and when its steps happened (ms after the start). */
  ms: number;
  timeline?: string;
  trace?: string[];
}

/** After the TCP connection ended, the client has this long to report its end (generous: a
 *  shared machine can stall a process for seconds). */
const TERMINAL_DEADLINE_MS = 10000;
/** A case that takes longer than this is stopped (a generous guard, never a timing test). */
const CASE_CAP_MS = 40000;
/** Once its input ended and its cases are over, a child has this long to exit by itself. */
const EXIT_DEADLINE_MS = 5000;
/** After the last event of a case, late events (a second close, say) are waited for this long. */
const GRACE_MS = 150;

/**
 * The runner's own event-loop stalls. Every peer in flight stalls with the runner, and a
 * client's fixed timeouts (lws waits 5 s for a close frame to leave or be answered; --slowdown
 * cannot stretch them) may expire although the client did nothing wrong: each case's
 * timeline gives the longest stall while it ran (2026-12-06: 7 of 250,000 cases failed while
 * the runner's times lagged the client's by 2-15 s, with a soak beside it on 2 cores).
 */
class RunnerStalls {
  private static readonly TICK_MS = 100;
  private static readonly REPORT_MS = 250;
  /** [when it ended, how long] of every stall past REPORT_MS, oldest first. */
  private readonly stalls: Array<[number, number]> = [];
  private last = 0;

  /** Starts watching (when the cases start: the certificates made before take the runner
   *  half a second, with no case in flight). */
  watch(): void {
    if (this.last) return;
    this.last = Date.now();
    setInterval(() => {
      const now = Date.now();
      const stalled = now - this.last - RunnerStalls.TICK_MS;
      if (stalled > RunnerStalls.REPORT_MS) this.stalls.push([now, stalled]);
      if (this.stalls.length > 1000) this.stalls.splice(0, 500);
      this.last = now;
    }, RunnerStalls.TICK_MS).unref();
  }

  /** The longest stall that ended between `from` and `to` (0: none past REPORT_MS). */
  longest(from: number, to: number): number {
    let longest = 0;
    for (const [at, ms] of this.stalls) if (at >= from && at - ms <= to) longest = Math.max(longest, ms);
    return longest;
  }
}

const runnerStalls = new RunnerStalls();

interface Outcome {
  result: CaseResult | null;
  /** The child died while the case ran. */
  crashed: boolean;
}

class Batch {
  private readonly reports = new Map<number, ClientReport[]>();
  readonly orphanExceptions: string[] = [];
  readonly child: ClientProcess;

  constructor(face: Face, private readonly options: RunnerOptions) {
    this.child = new ClientProcess(options.command(face), face === 'clib' ? cDriverJob : jsonJob, (report) => {
      if (report.id === -1 && report.ev === 'exception') this.orphanExceptions.push(report.message);
      else {
        const list = this.reports.get(report.id) ?? [];
        list.push(report);
        this.reports.set(report.id, list);
      }
    });
  }

  async runCase(c: FuzzCase): Promise<Outcome> {
    const server = c.plan.tls ? await this.options.servers.tls() : this.options.servers.plain;
    const slow = this.options.slowdown;
    let conn: RawConnection | null = null;
    let peerDone = false;
    let peerError: unknown = null;
    const peer: PeerResult = { writtenAt: null, endedAt: null };
    server.expect(c.plan.path, { silent: true }).then((accepted) => {
      conn = accepted;
      return playCase(c, accepted, peer, slow);
    }).then(() => { peerDone = true; }, (error: unknown) => { peerError = error; peerDone = true; });
    const start = Date.now();
    this.child.send({ id: c.seed, url: server.url + c.plan.path, plan: c.plan });

    let timedOut = false;
    let crashed = false;
    let terminalAt = 0;
    for (;;) {
      await sleep(20);
      const now = Date.now();
      const reports = this.reports.get(c.seed) ?? [];
      let opened = false;
      const terminal = reports.some((r) => {
        if (r.ev === 'open') opened = true;
        return isTerminal(c.face, r, opened);
      });
      if (terminal && !terminalAt) terminalAt = now;
      const current = conn as RawConnection | null;
      const tcpEnd = current && current.tcpClosedAt !== null ? current.acceptedAt + current.tcpClosedAt : null;
      // Over when the client reported its end and closed TCP: after the peer's FIN, the
      // client's FIN (what it sent before, a close reply, has then arrived too).
      if (terminal && peerDone && (!current || current.tcpFinished)) {
        await sleep(GRACE_MS);
        break;
      }
      if (!this.child.alive) {
        crashed = true;
        break;
      }
      // The peer may be stuck writing to a client that no longer reads, or the client left its
      // TCP connection open: judge what we have.
      if (terminal && now - terminalAt > TERMINAL_DEADLINE_MS * slow) break;
      if (!terminal && tcpEnd !== null && now - tcpEnd > TERMINAL_DEADLINE_MS * slow) timedOut = true;
      if (now - start > CASE_CAP_MS * slow) timedOut = !terminal;
      if (timedOut || now - start > CASE_CAP_MS * slow) break;
    }
    const finalConn = conn as RawConnection | null;
    if (finalConn) {
      finalConn.socket.destroy();
      const index = server.connections.indexOf(finalConn);
      if (index >= 0) server.connections.splice(index, 1);  // its buffers may be large
    }
    if (crashed) return { result: null, crashed };
    if (peerError) throw peerError;
    const reports = this.reports.get(c.seed) ?? [];
    const failures = judge(c, { reports, conn: finalConn, timedOut });
    const hang = failures.find((f) => f.category === 'hang');
    if (hang) {
      // Does the application get out of it? (WHATWG terminate(), connect() terminate(),
      // ArkTS close(), the C API's Destroy.)
      hang.detail += `; the client process ${await this.child.cpuLoad()}`;
      this.child.abandon(c.seed);
      await sleep(500);
      hang.detail += `; after the application abandoned the connection it ${await this.child.cpuLoad()}`;
    }
    this.reports.delete(c.seed);
    const result: CaseResult = { face: c.face, seed: c.seed, labels: c.labels, failures, ms: Date.now() - start };
    if (this.options.trace && failures.length) result.trace = traceOf(c, reports, finalConn);
    const at = (t: number | null | undefined) => (t ? `${t - start}` : '-');
    const reportedAt = reports.find((r) => r.ev === 'close' || r.ev === 'rejected' || (r.ev === 'error' && !reports.some((x) => x.ev === 'open')))?.t;
    const accepted = finalConn ? finalConn.acceptedAt : null;
    // The connection's own times count from its accept.
    const connAt = (ms: number | null | undefined) => at(accepted !== null && ms != null ? accepted + ms : null);
    result.timeline = `accepted ${at(accepted)} written ${at(peer.writtenAt)} ended ${at(peer.endedAt)} tcp-closed ${connAt(finalConn?.tcpClosedAt)} terminal ${at(reportedAt)} client-close ${connAt(finalConn?.closeFrame?.at)} runner-stall ${runnerStalls.longest(start, Date.now())}`;
    return { result, crashed: false };
  }
}

function traceOf(c: FuzzCase, reports: ClientReport[], conn: RawConnection | null): string[] {
  const events = c.events.map((e) => {
    switch (e.kind) {
      case 'message': return `message(${e.message.isBinary ? 'binary' : 'text'} ${e.message.data.length}B${e.message.trigger ? ' trigger' : ''})`;
      case 'ping': return `ping(${e.payload.toString('hex')})`;
      case 'may-fail': case 'unknown': return `${e.kind}(${'code' in e ? `${e.code} ` : ''}${e.why})`;
      case 'fail': return `fail(${e.codes.join('/')} ${e.why})`;
      case 'close': return `close(${e.code})`;
      case 'end': return `end(${e.midFrame ? 'mid-frame' : ''})`;
    }
  });
  return [
    `model: ${events.join(' ')}`,
    `ending: ${JSON.stringify(c.ending)} reaction: ${JSON.stringify(c.reaction)} chunking: ${JSON.stringify(c.chunking)}`,
    `client reports: ${reports.map((r) => JSON.stringify({ ...r, id: undefined, t: undefined })).join(' ')}`,
    `client frames: ${conn ? conn.describeFrames().join(' | ') : '(no connection)'}`,
    `tcp: ${conn?.tcp ?? '-'}`,
  ];
}

interface BatchRun {
  results: CaseResult[];
  /** In flight when the child died. */
  suspects: FuzzCase[];
  /** Seeds never started (the child had died). */
  unstarted: number[];
  exit: ChildExit;
  orphanExceptions: string[];
  stderr: string;
}

/** The end of the queue of cases waiting to be made (one per turn of the event loop). */
let makingTurn: Promise<unknown> = Promise.resolve();

/**
 * Makes a case just before it runs, at most one per turn of the event loop, for every face
 * together: making a batch's 500 cases at once held the runner for 0.4-1.2 s (4.2 s seen with
 * five faces starting batches together), and every peer in flight stalled with it (see
 * RunnerStalls); a case takes 2 ms to make on average and up to about 110 ms.
 */
function makeInTurn(make: (seed: number) => FuzzCase, seed: number): Promise<FuzzCase> {
  const made = makingTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => make(seed));
  makingTurn = made.catch(() => undefined);
  return made;
}

async function runBatch(face: Face, seeds: number[], make: (seed: number) => FuzzCase, options: RunnerOptions): Promise<BatchRun> {
  const batch = new Batch(face, options);
  const queue = [...seeds];
  const results: CaseResult[] = [];
  const suspects: FuzzCase[] = [];
  // A hung connection keeps spinning in its process and slows every case after it: the
  // child takes no new case once one hung, and the rest go to a fresh child.
  let hung = false;
  const worker = async () => {
    while (queue.length && batch.child.alive && !hung) {
      const c = await makeInTurn(make, queue.shift()!);
      const outcome = await batch.runCase(c);
      if (outcome.result) results.push(outcome.result);
      else suspects.push(c);
      if (outcome.result?.failures.some((f) => f.category === 'hang')) hung = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, seeds.length) }, worker));
  // A process with a hung connection cannot exit by itself: no need to wait for it.
  if (hung) batch.child.kill();
  const exit = await batch.child.finish(EXIT_DEADLINE_MS * options.slowdown);
  return { results, suspects, unstarted: queue, exit, orphanExceptions: batch.orphanExceptions, stderr: batch.child.stderr };
}

/** How the child ended, with the start of a sanitizer report (or the end of its stderr). */
function describeExit(exit: ChildExit, stderr: string): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  const lines = stderr.trim().split('\n');
  const report = lines.findIndex((l) => /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|==\d+==ERROR/.test(l));
  const shown = report >= 0 ? lines.slice(report, report + 24) : lines.slice(-12);
  return `${how}${shown.length ? `\n${shown.join('\n')}` : ''}`;
}

/** What the child said keeps it alive (child.ts prints it when it outlives its input). */
function stillAlive(stderr: string): string {
  const line = stderr.split('\n').reverse().find((l) => l.startsWith('still alive'));
  return line ? ` (${line})` : '';
}

function crashed(exit: ChildExit): boolean {
  return !exit.killed && (exit.signal !== null || exit.code !== 0);
}

/** Runs the cases of `seeds` on a face (each made just before it runs: 50,000 do not fit in memory at
 *  once); `onResult` gets each result as it is known. */
export async function runCases(
  face: Face, seeds: number[], make: (seed: number) => FuzzCase, options: RunnerOptions, onResult: (r: CaseResult) => void,
): Promise<void> {
  runnerStalls.watch();
  const pending = [...seeds];
  while (pending.length) {
    const batch = pending.splice(0, options.batchSize);
    const run = await runBatch(face, batch, make, options);
    pending.unshift(...run.unstarted);
    const hung = run.results.filter((r) => r.failures.some((f) => f.category === 'hang'));
    if (run.exit.killed && hung.length) {
      // The hung connections keep the process alive: that is part of what they show.
      for (const r of hung) r.failures.push({ category: 'no-exit', detail: 'the client process cannot exit by itself while the connection hangs (killed)' });
    }
    const batchTrouble = crashed(run.exit) || (run.exit.killed && !hung.length) || run.orphanExceptions.length > 0;
    if (!batchTrouble) {
      run.results.forEach(onResult);
      continue;
    }
    // Find the culprit: the suspects (or, if the trouble came at the end, every case) alone.
    const suspects = run.suspects.length ? run.suspects : batch.filter((seed) => !hung.some((r) => r.seed === seed)).map(make);
    const cleared = run.results.filter((r) => !suspects.some((c) => c.seed === r.seed));
    cleared.forEach(onResult);
    const alone: CaseResult[] = [];
    for (const c of suspects) {
      const single = await runBatch(face, [c.seed], () => c, { ...options, concurrency: 1 });
      const result = single.results[0] ?? { face, seed: c.seed, labels: c.labels, failures: [], ms: 0 };
      if (crashed(single.exit)) result.failures.push({ category: 'crash', detail: describeExit(single.exit, single.stderr) });
      else if (single.exit.killed && !result.failures.some((f) => f.category === 'hang')) {
        result.failures.push({ category: 'no-exit', detail: `the client process did not exit by itself after this case alone${stillAlive(single.stderr)}` });
      }
      for (const message of single.orphanExceptions) result.failures.push({ category: 'exception', detail: message });
      alone.push(result);
    }
    if (!alone.some((r) => r.failures.length)) {
      // Not reproduced alone: charge the batch's first suspect, with what was seen.
      const category = crashed(run.exit) ? 'crash' : run.exit.killed ? 'no-exit' : 'exception';
      const what = category === 'crash' ? describeExit(run.exit, run.stderr)
        : category === 'no-exit' ? `the client process did not exit by itself${stillAlive(run.stderr)}` : `uncaught: ${run.orphanExceptions.join('; ')}`;
      alone[0].failures.push({ category, detail: `${what} (in a batch of ${batch.length}; no case alone reproduced it: ${suspects.map((c) => c.seed).join(', ')})` });
    }
    alone.forEach(onResult);
  }
}
