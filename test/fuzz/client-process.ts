// A client child process of the fuzz and soak suites: the JS faces in node (child.js) or
// libnet_websocket.so through the C driver. Jobs go in on stdin, one line each; reports come
// back on stdout as JSON lines. Ending stdin tells the child that nothing more comes: it
// must then exit by itself.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { ClientJob, ClientReport } from './faces';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed by us (it did not exit by itself in time). */
  killed: boolean;
}

export interface ClientCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** How jobs, and requests to abandon one, are written to the child's stdin (JSON for node,
 *  plain lines for the C driver). */
export interface JobEncoder {
  job(job: ClientJob): string;
  abandon(id: number): string;
}

export const jsonJob: JobEncoder = { job: (job) => JSON.stringify(job), abandon: (id) => JSON.stringify({ abandon: id }) };
/** The C driver's lines: "id close-in-callbacks url", "abandon id". */
export const cDriverJob: JobEncoder = {
  job: (job) => `${job.id} ${job.plan.closeInCallbacks ? 1 : 0} ${job.url}`,
  abandon: (id) => `abandon ${id}`,
};

const STDERR_KEEP = 64 * 1024;

export class ClientProcess {
  readonly exited: Promise<ChildExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private killedByUs = false;
  private stderrTail = '';
  exit: ChildExit | null = null;

  constructor(command: ClientCommand, private readonly encode: JobEncoder, onReport: (report: ClientReport) => void) {
    this.child = spawn(command.file, command.args, { env: command.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined);  // a crashed child closes its end
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let report: ClientReport;
      try {
        report = JSON.parse(line) as ClientReport;
      } catch {
        this.stderrTail += `(stdout) ${line}\n`;
        return;
      }
      onReport(report);
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_KEEP);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal, killed: this.killedByUs };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** How busy the child is (a hung connection that spins shows as ~100% CPU): sampled over 500 ms. */
  async cpuLoad(): Promise<string> {
    const ticks = () => {
      try {
        const fields = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return Number(fields[11]) + Number(fields[12]);  // utime + stime, in clock ticks
      } catch {
        return NaN;
      }
    };
    const before = ticks();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = ticks() - before;
    return Number.isNaN(used) ? 'is gone' : `used ${Math.round(used / 0.5)}% of a CPU over 500 ms`;
  }

  send(job: ClientJob): void {
    this.write(this.encode.job(job));
  }

  /** Asks the child to give up on a connection (terminate, close or Destroy, per face). */
  abandon(id: number): void {
    this.write(this.encode.abandon(id));
  }

  private write(line: string): void {
    if (this.alive && this.child.stdin.writable) this.child.stdin.write(`${line}\n`);
  }

  /** No more jobs: the child must now finish its connections and exit by itself. */
  endInput(): void {
    this.child.stdin.end();
  }

  /** Waits up to `ms` for the child to exit by itself; kills it after that. */
  async finish(ms: number): Promise<ChildExit> {
    this.endInput();
    const timer = setTimeout(() => this.kill(), ms);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(): void {
    if (!this.alive) return;
    this.killedByUs = true;
    this.child.kill('SIGKILL');
  }
}
