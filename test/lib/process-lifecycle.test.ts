// Child-process tests: the addon must not keep a process alive, and exceptions thrown in
// callbacks must reach 'uncaughtException'. The children load dist/native.js (built by
// `npm run build:ts`, or by test/helpers/global-setup.ts when missing or stale).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEchoServer, type EchoServer } from '../helpers/ws-server';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test', 'fixtures');

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the child had not exited after timeoutMs and was killed. */
  hung: boolean;
}

/** Runs `node fixture args...`; kills it (and says so) if it has not exited after timeoutMs. */
function runChild(fixture: string, args: string[] = [], timeoutMs = 10000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(fixtures, fixture), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

function describeResult(r: ChildResult): string {
  return `exit ${r.code} signal ${r.signal} hung ${r.hung}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

let server: EchoServer;

beforeAll(async () => {
  expect(fs.existsSync(path.join(root, 'dist', 'native.js')), 'dist/native.js is missing: run `npm run build:ts`').toBe(true);
  server = await startEchoServer();
});

afterAll(async () => {
  await server?.close();
});

describe('process lifecycle', () => {
  test('a process that only loads the module exits by itself at once', async () => {
    const r = await runChild('load-only.js', [], 5000);
    expect(r.hung, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('loaded function');
  });

  test('a process that constructs a client and never connects exits by itself', async () => {
    const r = await runChild('load-only.js', ['construct'], 5000);
    expect(r.hung, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(0);
  });

  test('a process that connects, echoes, closes and destroys exits by itself with 0', async () => {
    const before = server.connections.length;
    const r = await runChild('echo-client.js', [server.url], 10000);
    expect(r.hung, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('open 101 Switching Protocols');
    expect(r.stdout).toContain('echo: hello from the child');
    expect(r.stdout).toContain('closed 1000');
    expect(r.stdout).toContain('destroy returned 0');
    const conn = server.connections[before];
    expect(conn.received.map((m) => m.data.toString())).toEqual(['hello from the child']);
    expect(await conn.closed).toEqual({ code: 1000, reason: 'done' });
  });

  test('a process that closes but never calls Destroy still exits by itself with 0', async () => {
    const r = await runChild('echo-client.js', [server.url, 'keep'], 10000);
    expect(r.hung, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('echo: hello from the child');
    expect(r.stdout).toContain('closed 1000');
    expect(r.stdout).not.toContain('destroy returned');
  });

  test("an exception thrown in onMessage reaches 'uncaughtException' and the client keeps working", async () => {
    const r = await runChild('throw-in-callback.js', [server.url], 15000);
    expect(r.hung, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('caught: boom from onMessage');
    expect(r.stdout).toContain('second message: second');
    expect(r.stdout).toContain('closed 1000');
  });
});
