// Child-process tests of the WHATWG and OpenHarmony faces: an exception thrown by a user's
// listener reaches process 'uncaughtException', the other listeners still run, and the
// connection is not disturbed. The children load dist/index.js.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEchoServer, type EchoServer } from '../helpers/ws-server';

const root = path.resolve(__dirname, '../..');

function runFixture(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'test', 'fixtures', 'face-throws.js'), ...args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: EchoServer;
beforeAll(async () => { server = await startEchoServer(); });
afterAll(async () => { await server.close(); });

describe('an exception in a listener reaches uncaughtException and the connection survives', () => {
  test('WHATWG face', async () => {
    const r = await runFixture(['whatwg', server.url]);
    const detail = `${r.stdout}\n${r.stderr}`;
    expect(r.code, detail).toBe(0);
    expect(r.stdout.trim().split('\n'), detail).toEqual([
      'open listener still ran, readyState 1',
      'caught: boom from onopen',
      'message listener: first',
      'caught: boom from onmessage',
      'message listener: second',
      'closed 1000 done clean=true caught=2',
      'caught: boom from onclose',
    ]);
  });

  test('OpenHarmony face', async () => {
    const r = await runFixture(['ohos', server.url]);
    const detail = `${r.stdout}\n${r.stderr}`;
    expect(r.code, detail).toBe(0);
    expect(r.stdout.trim().split('\n'), detail).toEqual([
      'caught: boom from the connect callback',
      'open listener still ran',
      'caught: boom from open',
      'message listener: first',
      'caught: boom from message',
      'message listener: second',
      'closed 1000 done caught=3',
      'caught: boom from close',
    ]);
  });
});
