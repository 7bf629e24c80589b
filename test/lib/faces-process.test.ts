// Child-process tests of the WHATWG and OpenHarmony faces: an exception thrown by a user's
// listener reaches process 'uncaughtException', the other listeners still run, and the
// connection is not disturbed. The children load dist/index.js.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEchoServer, type EchoServer } from '../helpers/ws-server';
import { runFixture } from '../helpers/run-fixture';

let server: EchoServer;
beforeAll(async () => { server = await startEchoServer(); });
afterAll(async () => { await server.close(); });

describe('an exception in a listener reaches uncaughtException and the connection survives', () => {
  test('WHATWG face', async () => {
    const r = await runFixture('face-throws.js', ['whatwg', server.url]);
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
    const r = await runFixture('face-throws.js', ['ohos', server.url]);
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
