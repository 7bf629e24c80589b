// test/fixtures/flood-server.js run in its own process (so that the client's memory and
// event loop are measured alone), with its IPC reports as promises.
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { withTimeout } from './ws-server';

export interface ServerReport { type: string; [key: string]: unknown }

export interface FloodServer {
  url: string;
  child: ChildProcess;
  /** The next report of this type (those that came before are kept). */
  next(type: string): Promise<ServerReport>;
  stop(): void;
}

/** mode 'flood': sends options.total bytes in options.size-byte messages; 'sink': reads slowly.
 * See the fixture for the reports. */
export async function startFloodServer(mode: 'flood' | 'sink', options: Record<string, number> = {}): Promise<FloodServer> {
  const child = fork(path.join(__dirname, '..', 'fixtures', 'flood-server.js'), [mode, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reports: ServerReport[] = [];
  const waiting: Array<{ type: string; resolve(report: ServerReport): void }> = [];
  child.on('message', (report: ServerReport) => {
    const index = waiting.findIndex((w) => w.type === report.type);
    if (index >= 0) waiting.splice(index, 1)[0].resolve(report);
    else reports.push(report);
  });
  const next = (type: string): Promise<ServerReport> => {
    const index = reports.findIndex((r) => r.type === type);
    if (index >= 0) return Promise.resolve(reports.splice(index, 1)[0]);
    return new Promise((resolve) => waiting.push({ type, resolve }));
  };
  const stop = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill(); };
  try {
    const listening = await withTimeout(next('listening'), 10_000, 'the flood server to listen');
    return { url: `ws://127.0.0.1:${String(listening.port)}/`, child, next, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
