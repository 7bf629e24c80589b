// The CLI end to end: `netstack-websocket <url>` spawned with stdin piped, against local
// servers (ws echo, wss with a test CA and a self-signed certificate, a refused port).
import https from 'node:https';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { getRefusedPort, startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'netstack-websocket.js');

interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout holds `text`. */
  waitForOutput(text: string): Promise<void>;
  exited: Promise<number | null>;
}

function startCli(args: string[]): Cli {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (text) => waitUntil(() => out.includes(text), 10000, `CLI output "${text}"; got:\n${out}\n${err}`),
    exited,
  };
}

let server: EchoServer;
beforeAll(async () => { server = await startEchoServer(); });
afterAll(async () => { await server.close(); });

describe('netstack-websocket CLI', () => {
  test('connects, sends typed lines, prints the echoes, closes with 1000 at end of input', async () => {
    const cli = startCli([`${server.url}/cli`, '--header', 'X-Token: abc', '-H', 'X-Other: 2', '--protocol', 'chat']);
    await cli.waitForOutput(`* open ${server.url}/cli`);
    const conn = server.connections.at(-1)!;
    expect(conn.headers).toMatchObject({ 'x-token': 'abc', 'x-other': '2', 'sec-websocket-protocol': 'chat' });
    cli.child.stdin.write('hello\n');
    await cli.waitForOutput('< hello');
    cli.child.stdin.write('second line\n');
    await cli.waitForOutput('< second line');
    conn.ws.send(Buffer.from([0xca, 0xfe]));
    await cli.waitForOutput('< [binary 2 bytes] cafe');
    cli.child.stdin.end();
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('* closed 1000');
    expect(conn.received.map((m) => m.data.toString())).toEqual(['hello', 'second line']);
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
  });

  test('shows the close code and reason the server sends', async () => {
    const cli = startCli([server.url]);
    await cli.waitForOutput('* open');
    server.connections.at(-1)!.close(4002, 'server done');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('* closed 4002 "server done"');
  });

  test('a refused connection: the error with its code on stderr, exit status 1', async () => {
    const cli = startCli([`ws://127.0.0.1:${await getRefusedPort()}`]);
    cli.child.stdin.end();
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/! error 1003 WEBSOCKET_CONNECTION_ERROR: /);
  });

  test('bad usage: exit status 2 with the usage text', async () => {
    for (const args of [[], ['--header'], ['--header', 'no-colon', server.url], ['--bogus', server.url], ['a', 'b']]) {
      const cli = startCli(args);
      cli.child.stdin.end();
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.stderr()).toContain('usage: netstack-websocket <url>');
    }
    const help = startCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('--insecure');
  });

  test('an invalid URL or header is reported with its code', async () => {
    const cli = startCli(['ftp://127.0.0.1/']);
    cli.child.stdin.end();
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('error 2302001 WEBSOCKET_URL_ERROR');
  });

  const describeTls = hasOpenssl() ? describe : describe.skip;
  describeTls('wss', () => {
    let certs: TestCerts;
    let trusted: https.Server;
    let selfSigned: https.Server;
    const urlOf = (s: https.Server) => `wss://127.0.0.1:${(s.address() as net.AddressInfo).port}`;

    beforeAll(async () => {
      certs = generateTestCerts();
      const serve = async (cert: string, key: string) => {
        const s = https.createServer({ cert, key });
        new WebSocketServer({ server: s }).on('connection', (ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })));
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        return s;
      };
      trusted = await serve(certs.server.cert, certs.server.key);
      selfSigned = await serve(certs.selfSigned.cert, certs.selfSigned.key);
    }, 60000);

    afterAll(() => {
      for (const s of [trusted, selfSigned]) { s?.closeAllConnections(); s?.close(); }
      removeTestCerts(certs);
    });

    test('--ca trusts the given CA', async () => {
      const cli = startCli([urlOf(trusted), '--ca', path.join(certs.dir, 'ca.crt')]);
      await cli.waitForOutput('* open');
      cli.child.stdin.write('over tls\n');
      await cli.waitForOutput('< over tls');
      cli.child.stdin.end();
      expect(await cli.exited).toBe(0);
    });

    test('--insecure accepts a self-signed certificate; without it the connection fails', async () => {
      const refused = startCli([urlOf(selfSigned)]);
      refused.child.stdin.end();
      expect(await refused.exited).toBe(1);
      expect(refused.stderr()).toContain('error 1003');
      const cli = startCli([urlOf(selfSigned), '--insecure']);
      await cli.waitForOutput('* open');
      cli.child.stdin.end();
      expect(await cli.exited).toBe(0);
    });

    test('--ca with a file that cannot be read: exit status 2', async () => {
      const cli = startCli([urlOf(trusted), '--ca', '/nonexistent/ca.pem']);
      cli.child.stdin.end();
      expect(await cli.exited).toBe(2);
      expect(cli.stderr()).toContain('cannot read --ca');
    });
  });
});
