// The runnable examples of the README and the API docs (examples/*.mjs), run against a
// local echo server, so they cannot rot. They import 'netstack-websocket' itself (the
// package's ESM entry point, through its own "exports").
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getRefusedPort, startEchoServer, type EchoServer } from '../helpers/ws-server';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

async function example(name: string, url: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [path.join(root, 'examples', name), url], { cwd: root, timeout: 15000 });
  return stdout.replace(/\n$/, '').split('\n');
}

let server: EchoServer;
beforeAll(async () => { server = await startEchoServer(); });
afterAll(async () => { await server.close(); });

describe('examples', () => {
  test('whatwg.mjs', async () => {
    expect(await example('whatwg.mjs', server.url)).toEqual([
      'open, protocol "chat"',
      'message: hello',
      'message: <1,2,3>',
      'close: 1000 "done" clean=true',
    ]);
    expect(server.connections.at(-1)!.headers.authorization).toBe('Bearer example');
  });

  test('promises.mjs', async () => {
    expect(await example('promises.mjs', server.url)).toEqual([
      'open (101)',
      'message: hello',
      'message: <1,2,3>',
      'closed: 1000 clean=true',
    ]);
  });

  test('promises.mjs against a refused port', async () => {
    const [line] = await example('promises.mjs', `ws://127.0.0.1:${await getRefusedPort()}`);
    expect(line).toMatch(/^could not connect: 1003 WEBSOCKET_CONNECTION_ERROR: /);
  });

  test('backpressure-pause.mjs (WebSocket pause()/resume())', async () => {
    expect(await example('backpressure-pause.mjs', server.url)).toEqual([
      'processed 20 messages, in order: true',
      'close: 1000 "done"',
    ]);
  });

  test('backpressure-iterator.mjs (connect() with a highWaterMark)', async () => {
    expect(await example('backpressure-iterator.mjs', server.url)).toEqual([
      'sent 50 messages',
      'processed 50 messages, in order: true',
      'closed: 1000',
    ]);
  });

  test('backpressure-stream.mjs (WebSocketStream)', async () => {
    expect(await example('backpressure-stream.mjs', server.url)).toEqual([
      'sent 30 messages',
      'processed 30 messages',
      'closed: 1000 "done"',
    ]);
  });

  test('backpressure-duplex.mjs (createWebSocketStream)', async () => {
    expect(await example('backpressure-duplex.mjs', server.url)).toEqual([
      'processed 40 messages, then the stream ended',
      'socket: closed',
    ]);
  });

  test('ohos.mjs (OpenHarmony code with only the import changed)', async () => {
    const lines = await example('ohos.mjs', server.url);
    expect(lines).toEqual(expect.arrayContaining([
      'connect success',
      'on open, status:101, message:Switching Protocols',
      'send success',
      'on message, message:Hello, server!',
      'close success',
      'on close, code is 1000, reason is ',
    ]));
    expect(lines).toHaveLength(6);
    expect(lines.indexOf('connect success')).toBeLessThan(lines.indexOf('on open, status:101, message:Switching Protocols'));
    expect(lines.at(-1)).toBe('on close, code is 1000, reason is ');
    expect(server.connections.at(-1)!.headers).toMatchObject({ name1: 'value1', 'sec-websocket-protocol': 'my-protocol' });
  });

  test('npm run demo (scripts/demo.js): its own server, both faces, exits by itself', async () => {
    const { stdout } = await run(process.execPath, [path.join(root, 'scripts', 'demo.js')], { cwd: root, timeout: 15000 });
    // The same lines, in the same order, as README shows.
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const shown = /```\n(-- connect\(\) \(promises\)\n[^`]*)```/.exec(readme)?.[1];
    expect(shown, 'README shows the demo output').toBeDefined();
    expect(stdout.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')).toBe(shown);
  });
});
