// The CLI end to end (bin/netstack-websocket.js), against local servers: through pipes (stdin
// piped, -x/-w, every option, exit codes, signals) and through a pseudo-terminal (python3's
// pty module, test/helpers/pty-run.py: line editing, history, the prompt kept below what
// arrives, slash commands, colours and time stamps, Ctrl-C and Ctrl-D; also through npx).
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { getRefusedPort, startEchoServer, startSilentServer, waitUntil, type EchoServer } from '../helpers/ws-server';
import { startConnectProxy } from '../helpers/faces';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'netstack-websocket.js');
const ptyRun = path.join(root, 'test', 'helpers', 'pty-run.py');
const hasPython = spawnSync('python3', ['-c', 'import pty, termios'], { stdio: 'ignore' }).status === 0;
const ESC = '\u001b';

interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout, without terminal control sequences, holds `text` (after `from`). */
  waitForOutput(text: string | RegExp, from?: number): Promise<void>;
  exited: Promise<number | null>;
}

function start(command: string, args: string[], cwd = root, env: NodeJS.ProcessEnv = process.env): Cli {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const has = (text: string | RegExp, from: number) => {
    const seen = withoutCsi(out.slice(from));
    return typeof text === 'string' ? seen.includes(text) : text.test(seen);
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (text, from = 0) => waitUntil(() => has(text, from), 15000, `CLI output ${String(text)}; got:\n${JSON.stringify(out)}\n${err}`),
    exited,
  };
}

/** Terminal output without its control sequences (colours, cursor moves). */
function withoutCsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/** The CLI with stdin, stdout and stderr piped. */
const startCli = (args: string[]): Cli => start(process.execPath, [bin, ...args]);
/** The CLI on a pseudo-terminal (80x24); what it writes comes on stdout (stderr too). */
const startTty = (args: string[], command: string[] = [process.execPath, bin]): Cli =>
  start('python3', [ptyRun, '80', '24', ...command, ...args]);

let server: EchoServer;
beforeAll(async () => { server = await startEchoServer(); });
afterAll(async () => { await server.close(); });

describe('through pipes', () => {
  test('sends typed lines, prints the echoes, closes with 1000 at end of input; headers and subprotocol', async () => {
    const cli = startCli([`${server.url}/cli`, '--header', 'X-Token: abc', '-H', 'X-Other: 2', '--protocol', 'chat']);
    await cli.waitForOutput(`* open ${server.url}/cli (protocol: chat`);
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
    expect(cli.stdout()).not.toContain(ESC);  // no colours, no time stamps on a pipe
    expect(conn.received.map((m) => m.data.toString())).toEqual(['hello', 'second line']);
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
  });

  test('input that ends at once: every line is sent and every reply printed before the close', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const cli = startCli([server.url]);
    cli.child.stdin.end(`${lines.join('\n')}\n`);
    expect(await cli.exited).toBe(0);
    const printed = cli.stdout().split('\n').filter((l) => l.startsWith('< ')).map((l) => l.slice(2));
    expect(printed).toEqual(lines);
    expect(cli.stdout().trimEnd().split('\n').at(-1)).toBe('* closed 1000');
  });

  test('-x (repeatable) sends once open, -w waits for a late reply, then it closes with 1000', async () => {
    const late = startCli(['-x', 'one', '--execute', 'two', '-w', '3', server.url]);
    await late.waitForOutput('< two');
    const conn = server.connections.at(-1)!;
    setTimeout(() => conn.ws.send('late reply'), 300);
    expect(await late.exited).toBe(0);
    expect(late.stdout()).toMatch(/< one\n< two\n< late reply\n\* closed 1000\n$/);
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
  });

  test('-P shows pings and pongs; --slash takes /ping, /binary and //text from the pipe; base64', async () => {
    const cli = startCli(['-P', '--slash', '--binary-format', 'base64', server.url]);
    await cli.waitForOutput('* open');
    const conn = server.connections.at(-1)!;
    conn.ws.ping('hi');
    await cli.waitForOutput('< [ping 2 bytes] aGk=');
    cli.child.stdin.write('/ping yo\n/binary cafe\n//not a command\n/binary yv4=\n');
    await cli.waitForOutput('< [pong 2 bytes] eW8=');
    await cli.waitForOutput('< /not a command');
    await conn.waitForMessages(3);
    expect(conn.received.map((m) => [m.isBinary, m.data.toString('hex')])).toEqual([
      [true, 'cafe'], [false, Buffer.from('/not a command').toString('hex')], [true, 'cafe'],
    ]);
    expect(cli.stdout()).toContain('< [binary 2 bytes] yv4=');
    cli.child.stdin.end();
    expect(await cli.exited).toBe(0);
  });

  test('the server\'s control characters are escaped (messages and close reason)', async () => {
    const cli = startCli([server.url]);
    await cli.waitForOutput('* open');
    const conn = server.connections.at(-1)!;
    conn.ws.send(`${ESC}[2J${ESC}]0;pwned\u0007two\nlines\r\u202eevil`);
    await cli.waitForOutput('< \\e[2J\\e]0;pwned\\x07two\\nlines\\r\\u202eevil');
    conn.close(4000, `bye${ESC}[31m`);
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('* closed 4000 "bye\\e[31m"');
    expect(cli.stdout()).not.toContain(ESC);
  });

  test('Ctrl-C (SIGINT) and SIGTERM close with 1000 and print the close', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const cli = startCli([server.url]);
      await cli.waitForOutput('* open');
      const conn = server.connections.at(-1)!;
      cli.child.kill(signal);
      expect(await cli.exited, signal).toBe(0);
      expect(cli.stdout(), signal).toContain('* closed 1000');
      expect(await conn.closed).toEqual({ code: 1000, reason: '' });
    }
  });

  test('exit status: 1 could not connect, 2 bad usage, 3 lost after open, 0 a clean close by the server', async () => {
    const refused = startCli([`ws://127.0.0.1:${await getRefusedPort()}`]);
    refused.child.stdin.end();
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/! error 1003 WEBSOCKET_CONNECTION_ERROR: Could not connect to .*refused \(ECONNREFUSED\)/);

    for (const args of [[], ['--header'], ['--header', 'no-colon', server.url], ['--bogus', server.url], ['a', 'b'],
      ['ftp://127.0.0.1/'], ['localhost:8080'], ['--binary-format', 'octal', server.url], ['-w', 'soon', server.url]]) {
      const cli = startCli(args);
      cli.child.stdin.end();
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.stderr(), args.join(' ')).toMatch(/^netstack-websocket: .+\n\(netstack-websocket --help lists the options\)\n$/);
    }

    const lost = startCli([server.url]);
    await lost.waitForOutput('* open');
    server.connections.at(-1)!.ws.terminate();
    expect(await lost.exited).toBe(3);
    expect(lost.stdout()).toContain('* closed 1006 (not clean)');

    const byServer = startCli([server.url]);
    await byServer.waitForOutput('* open');
    server.connections.at(-1)!.close(4002, 'server done');
    expect(await byServer.exited).toBe(0);
    expect(byServer.stdout()).toContain('* closed 4002 "server done"');
  });

  test('--help, --version', async () => {
    const help = startCli(['--help']);
    expect(await help.exited).toBe(0);
    for (const option of ['--execute', '--wait', '--show-ping-pong', '--origin', '--proxy', '--cert', '--key', '--passphrase',
      '--servername', '--connect-timeout', '--no-deflate', '--max-payload', '--no-color', '--version', 'exit status: 0']) {
      expect(help.stdout()).toContain(option);
    }
    const version = startCli(['--version']);
    expect(await version.exited).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout()).toBe(`netstack-websocket ${pkg.version} (Node ${process.version})\n`);
  });

  test('--origin, --no-deflate, --max-payload, --connect-timeout, --proxy', async () => {
    const cli = startCli(['--origin', 'https://app.example', '--no-deflate', '--max-payload', '10', server.url]);
    await cli.waitForOutput('* open');
    const conn = server.connections.at(-1)!;
    expect(conn.headers.origin).toBe('https://app.example');
    expect(conn.headers['sec-websocket-extensions']).toBeUndefined();
    conn.ws.send('more than ten bytes');
    expect(await cli.exited).toBe(3);
    expect(cli.stderr()).toContain('! error 1012 WEBSOCKET_DATA_LENGTH_EXCEEDED');

    const silent = await startSilentServer();
    try {
      const slow = startCli(['--connect-timeout', '0.3', silent.url]);
      expect(await slow.exited).toBe(1);
      expect(slow.stderr()).toContain('timed out after 300 ms');
    } finally {
      await silent.close();
    }

    const proxy = await startConnectProxy();
    try {
      const through = startCli(['--proxy', proxy.url, '-x', 'via proxy', server.url]);
      await through.waitForOutput('< via proxy');
      expect(await through.exited).toBe(0);
      expect(proxy.targets).toEqual([`127.0.0.1:${server.port}`]);
    } finally {
      await proxy.close();
    }
  });

  describe.skipIf(!hasOpenssl())('wss', () => {
    let certs: TestCerts;
    const servers: https.Server[] = [];
    const files: Record<string, string> = {};
    const urlOf = (s: https.Server, host = '127.0.0.1') => `wss://${host}:${(s.address() as net.AddressInfo).port}`;
    const serve = async (options: https.ServerOptions, onConnection?: (cn: string) => void) => {
      const s = https.createServer(options);
      new WebSocketServer({ server: s }).on('connection', (ws, req) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
        const cn = peer?.subject?.CN;
        onConnection?.(Array.isArray(cn) ? cn.join(',') : cn ?? '');
        ws.on('message', (d, b) => ws.send(d, { binary: b }));
      });
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      servers.push(s);
      return s;
    };

    beforeAll(() => {
      certs = generateTestCerts();
      for (const [name, text] of Object.entries({
        ca: certs.ca.cert, clientCert: certs.client.cert, clientKey: certs.clientEncryptedKey,
      })) {
        files[name] = path.join(certs.dir, `cli-${name}.pem`);
        fs.writeFileSync(files[name], text);
      }
    }, 60000);

    afterAll(() => {
      for (const s of servers) { s.closeAllConnections(); s.close(); }
      removeTestCerts(certs);
    });

    test('--ca trusts the given CA; without it the certificate is refused (exit 1); --insecure accepts it', async () => {
      const trusted = await serve({ cert: certs.server.cert, key: certs.server.key });
      const cli = startCli([urlOf(trusted), '--ca', files.ca, '-x', 'over tls']);
      await cli.waitForOutput('< over tls');
      expect(await cli.exited).toBe(0);
      const refused = startCli([urlOf(trusted)]);
      refused.child.stdin.end();
      expect(await refused.exited).toBe(1);
      expect(refused.stderr()).toContain('(UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
      const insecure = startCli([urlOf(trusted), '--insecure', '-x', 'anyway']);
      await insecure.waitForOutput('< anyway');
      expect(await insecure.exited).toBe(0);
    });

    test('--cert, --key, --passphrase: the server sees the client certificate; --servername names the host to check', async () => {
      const seen: string[] = [];
      const mutual = await serve({ cert: certs.server.cert, key: certs.server.key, ca: certs.clientCa.cert, requestCert: true, rejectUnauthorized: true },
        (cn) => seen.push(cn));
      const cli = startCli([urlOf(mutual), '--ca', files.ca, '--cert', files.clientCert, '--key', files.clientKey,
        '--passphrase', certs.clientPassphrase, '-x', 'mutual']);
      await cli.waitForOutput('< mutual');
      expect(await cli.exited).toBe(0);
      expect(seen).toEqual(['test-client']);

      const other = await serve({ cert: certs.wrongHost.cert, key: certs.wrongHost.key });
      const named = startCli([urlOf(other), '--ca', files.ca, '--servername', 'wrong.example', '-x', 'named']);
      await named.waitForOutput('< named');
      expect(await named.exited).toBe(0);
    });

    test('--ca with a file that cannot be read: exit status 2', async () => {
      const cli = startCli(['wss://127.0.0.1:1', '--ca', '/nonexistent/ca.pem']);
      expect(await cli.exited).toBe(2);
      expect(cli.stderr()).toContain('cannot read --ca /nonexistent/ca.pem');
    });
  });
});

describe.skipIf(!hasPython)('on a terminal (pseudo-terminal)', () => {
  test('prompt, typing, editing, history, colours and time stamps; Ctrl-C closes with 1000', async () => {
    const cli = startTty(['-P', server.url]);
    await cli.waitForOutput('> ');
    const conn = server.connections.at(-1)!;
    expect(cli.stdout()).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*${ESC}\\[32m\\* ${ESC}\\[0mopen ${server.url}`));
    cli.child.stdin.write('first\r');
    await cli.waitForOutput('< first');
    // Keys one at a time, each once the terminal shows the one before (a key sequence must
    // not be split across reads, and must not run into the next key).
    const type = async (keys: string, shows: string | RegExp) => {
      const from = cli.stdout().length;
      cli.child.stdin.write(keys);
      await cli.waitForOutput(shows, from);
    };
    await type('helx', 'helx');
    await type('\u007f', /.*/);  // backspace
    await waitUntil(() => !withoutCsi(cli.stdout()).endsWith('helx'), 10000, 'the x to go');
    await type('lo\r', '< hello');
    await type(`${ESC}[A`, 'hello');  // up: the last line
    await type(`${ESC}[A`, 'first');  // up again: the one before
    cli.child.stdin.write('\r');
    await conn.waitForMessages(3);
    expect(conn.received.map((m) => m.data.toString())).toEqual(['first', 'hello', 'first']);
    cli.child.stdin.write('/binary 00ff\r/ping x\r');
    await cli.waitForOutput('< [pong 1 bytes] 78');
    await conn.waitForMessages(4);
    expect(conn.received[3]).toMatchObject({ isBinary: true, data: Buffer.from([0, 0xff]) });
    cli.child.stdin.write('\u0003');  // Ctrl-C
    await cli.waitForOutput('* closed 1000');
    expect(await cli.exited).toBe(0);
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
  });

  test('a message that arrives while typing is printed above the prompt, and the typing goes on', async () => {
    const cli = startTty(['--no-color', '--no-timestamps', server.url]);
    await cli.waitForOutput('> ');
    const conn = server.connections.at(-1)!;
    cli.child.stdin.write('part');
    await waitUntil(() => cli.stdout().includes('part'), 10000, 'the echo of the typing');
    const before = cli.stdout().length;
    conn.ws.send('incoming');
    await cli.waitForOutput('< incoming', before);
    await cli.waitForOutput(/< incoming[^]*> part/, before);  // the prompt is drawn again with the typing
    cli.child.stdin.write('ial\r');
    await conn.waitForMessages(1);
    expect(conn.received[0].data.toString()).toBe('partial');
    expect(cli.stdout()).not.toMatch(new RegExp(`${ESC}\\[3\\dm`));  // --no-color: no colour codes
    cli.child.stdin.write('\u0004');  // Ctrl-D on an empty line
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('* closed 1000');
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
  });

  test('Ctrl-C through npx: closes with 1000 and prints the close', async () => {
    const npx = spawnSync('sh', ['-c', 'command -v npx'], { encoding: 'utf8' }).stdout.trim();
    if (!npx) return;  // no npx on this machine: nothing to show
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-cli-npx-'));
    try {
      fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
      fs.writeFileSync(path.join(project, 'package.json'), '{"name":"cli-npx-test","private":true}\n');
      fs.symlinkSync(root, path.join(project, 'node_modules', 'netstack-websocket'), 'dir');
      fs.symlinkSync('../netstack-websocket/bin/netstack-websocket.js', path.join(project, 'node_modules', '.bin', 'netstack-websocket'));
      const cli = start('python3', [ptyRun, '80', '24', 'sh', '-c', `cd "${project}" && exec "${npx}" --no-install netstack-websocket ${server.url}`]);
      await cli.waitForOutput('> ');
      const conn = server.connections.at(-1)!;
      cli.child.stdin.write('\u0003');
      await cli.waitForOutput('* closed 1000');
      await cli.exited;
      expect(await conn.closed).toEqual({ code: 1000, reason: '' });
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 60000);
});
