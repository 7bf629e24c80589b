// Why a connection could not be opened, as the errors say it (issue 15): `cause` carries the
// system's or the TLS check's own error with Node's codes, compared with what Node's net, dns
// and tls report for the same peer; the message says what happened in plain words, the same
// every time, with only the advice that fits; every timeout is a ConnectTimeoutError.
import { spawn, spawnSync } from 'node:child_process';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, ConnectError, ConnectTimeoutError, ErrorCode, WebSocket } from '../../lib/index';
import { addon } from '../../lib/binding';
import { generateTestCerts, hasOpenssl, removeTestCerts, type KeyPair, type TestCerts } from '../helpers/certs';
import { getRefusedPort, startSilentServer, waitUntil, type SilentServer } from '../helpers/ws-server';
import {
  OH_NetStack_WebSocketClient_Connect as Connect, OH_NetStack_WebsocketClient_Construct as Construct,
  OH_NetStack_WebsocketClient_Destroy as Destroy, type OH_NetStack_WebsocketClient,
} from '../../lib/native';

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'pass']).status === 0;
}

type Cause = NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string; host?: string; reason?: string };

/** The error connect() rejects with (it must reject). */
async function failure(url: string, options: Parameters<typeof connect>[1] = {}): Promise<ConnectError> {
  try {
    const socket = await connect(url, options);
    socket.terminate();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(ErrorCode.WEBSOCKET_CONNECTION_ERROR);
    return error as ConnectError;
  }
  throw new Error(`${url} opened`);
}

/** What Node's own client reports for the same peer. */
function nodeError(run: (done: (error: Cause) => void) => void): Promise<Cause> {
  return new Promise((resolve) => run(resolve));
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

afterAll(async () => {
  await waitUntil(() => addon.liveCounts().connections === 0, 10000, 'every connection to be freed');
});

describe('system errors: the cause is what node:net and node:dns give', () => {
  test('a refused port: ECONNREFUSED with errno, syscall, address and port; "refused", no TLS advice', async () => {
    const port = await getRefusedPort();
    const error = await failure(`ws://127.0.0.1:${port}/`);
    const cause = error.cause as Cause;
    const node = await nodeError((done) => net.connect(port, '127.0.0.1').on('error', done));
    expect(cause).toBeInstanceOf(Error);
    expect({ code: cause.code, errno: cause.errno, syscall: cause.syscall, address: cause.address, port: cause.port, message: cause.message })
      .toEqual({ code: node.code, errno: node.errno, syscall: node.syscall, address: node.address, port: node.port, message: node.message });
    expect(cause.code).toBe('ECONNREFUSED');
    expect(error.message).toBe(
      `Could not connect to ws://127.0.0.1:${port}/: the connection to 127.0.0.1 port ${port} was refused (ECONNREFUSED). ` +
        'Check that the server runs and listens there.',
    );
    expect(error.message).not.toMatch(/TLS|ca\b|rejectUnauthorized|certificate/);
  });

  test('a name that does not resolve: the code, errno, syscall and hostname of dns.lookup', async () => {
    const host = 'no-such-host.invalid';
    const error = await failure(`ws://${host}:8080/`);
    const cause = error.cause as Cause;
    const node = await nodeError((done) => dns.lookup(host, (err) => done(err as Cause)));
    // ENOTFOUND where the resolver says so; EAI_AGAIN on a machine without a resolver.
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code);
    expect({ code: cause.code, errno: cause.errno, syscall: cause.syscall, hostname: cause.hostname, message: cause.message })
      .toEqual({ code: node.code, errno: node.errno, syscall: node.syscall, hostname: node.hostname, message: node.message });
    expect(error.message).toContain(`Could not connect to ws://${host}:8080/: the host name ${host} `);
    expect(error.message).toContain(`(${cause.code})`);
  });

  test('the server resets the connection: ECONNRESET', async () => {
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.resetAndDestroy(); });
    const port = await listen(server);
    try {
      const error = await failure(`ws://127.0.0.1:${port}/`);
      expect((error.cause as Cause).code).toBe('ECONNRESET');
      expect(error.message).toMatch(/ was reset \(ECONNRESET\)|closed the connection before answering/);
    } finally {
      server.close();
    }
  });

  test('the server closes before answering: ECONNRESET "socket hang up", as node:http says it', async () => {
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.once('data', () => socket.end()); });
    const port = await listen(server);
    try {
      const error = await failure(`ws://127.0.0.1:${port}/`);
      const cause = error.cause as Cause;
      const node = await nodeError((done) => {
        http.get(`http://127.0.0.1:${port}/`).on('error', done);
      });
      expect({ code: cause.code, message: cause.message }).toEqual({ code: node.code, message: node.message });
      expect(error.message).toContain('the server closed the connection before answering the WebSocket handshake (ECONNRESET)');
    } finally {
      server.close();
    }
  });

  test('a unix socket file that is not there: ENOENT from connect', async () => {
    const path = `/tmp/netstack-no-such-${process.pid}.sock`;
    const error = await failure(`ws+unix://${path}`);
    const cause = error.cause as Cause;
    const node = await nodeError((done) => net.connect(path).on('error', done));
    expect({ code: cause.code, errno: cause.errno, syscall: cause.syscall, address: cause.address, message: cause.message })
      .toEqual({ code: node.code, errno: node.errno, syscall: node.syscall, address: node.address, message: node.message });
  });
});

describe('timeouts: always a ConnectTimeoutError', () => {
  let silent: SilentServer;
  beforeAll(async () => { silent = await startSilentServer(); });
  afterAll(async () => { await silent.close(); });

  test('handshakeTimeout', async () => {
    const error = await failure(silent.url, { handshakeTimeout: 200 });
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    expect((error as ConnectTimeoutError).timeout).toBe(200);
    expect((error.cause as Cause).code).toBe('ETIMEDOUT');
    expect(error.message).toContain("timed out after 200 ms waiting for the server's answer to the WebSocket handshake (ETIMEDOUT)");
  });

  test("connect()'s timeout", async () => {
    const error = await failure(silent.url, { timeout: 200 });
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    expect((error as ConnectTimeoutError).timeout).toBe(200);
    expect((error.cause as Cause).code).toBe('ETIMEDOUT');
  });

  test('the WHATWG face: the error event carries the ConnectTimeoutError', async () => {
    const ws = new WebSocket(silent.url, [], { handshakeTimeout: 200 });
    const error = await new Promise<unknown>((resolve) => { ws.onerror = (event) => resolve((event as { error?: unknown }).error); });
    expect(error).toBeInstanceOf(ConnectTimeoutError);
  });

  test.skipIf(!hasPython())('no TCP connection (a listener whose backlog is full): ETIMEDOUT from connect', async () => {
    // python3 listens with a backlog of 0 and never accepts; two connections fill the queue,
    // so the kernel drops our SYN and connect() stays pending.
    const child = spawn('python3', ['-c', [
      'import socket, sys, time',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      'port = s.getsockname()[1]; fill = []',
      'for i in range(3):',
      '    c = socket.socket(); c.setblocking(False)',
      "    try: c.connect(('127.0.0.1', port))",
      '    except BlockingIOError: pass',
      '    fill.append(c)',
      'print(port, flush=True); sys.stdin.read()',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = Number(await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d)))));
      const error = await failure(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 300 });
      expect(error).toBeInstanceOf(ConnectTimeoutError);
      expect(error.cause).toMatchObject({ code: 'ETIMEDOUT', syscall: 'connect', address: '127.0.0.1', port });
      expect(error.message).toContain(`timed out after 300 ms waiting for the connection to 127.0.0.1 port ${port} (ETIMEDOUT)`);
    } finally {
      child.kill();
    }
  });

  test('the default handshake timeout (20 s)', async () => {
    const error = await failure(silent.url);
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    expect((error as ConnectTimeoutError).timeout).toBe(20000);
    expect(error.message).toContain('timed out after 20000 ms');
  }, 60000);
});

describe.skipIf(!hasOpenssl())('TLS: the cause has the code node:tls gives for the same server', () => {
  let certs: TestCerts;
  const servers: https.Server[] = [];
  beforeAll(() => { certs = generateTestCerts(); });
  afterAll(() => {
    for (const server of servers) server.close();
    removeTestCerts(certs);
  });

  async function tlsServer(pair: KeyPair, chain = ''): Promise<number> {
    const server = https.createServer({ cert: pair.cert + chain, key: pair.key });
    server.on('tlsClientError', () => {});
    servers.push(server);
    return listen(server);
  }

  /** node:tls's error for this server, trusting `ca`. */
  function nodeTlsError(port: number, ca: string, servername?: string): Promise<Cause> {
    return nodeError((done) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) }, () => {
        socket.destroy();
        done(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
      });
      socket.on('error', done);
    });
  }

  const cases: Array<[string, string, (c: TestCerts) => { pair: KeyPair; chain?: string; ca: string }]> = [
    ['a self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', (c) => ({ pair: c.selfSigned, ca: c.ca.cert })],
    ['a chain ending in an untrusted root it sends', 'SELF_SIGNED_CERT_IN_CHAIN', (c) => ({ pair: c.server, chain: c.ca.cert, ca: c.otherCa.cert })],
    ['a certificate of an unknown CA, alone', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', (c) => ({ pair: c.server, ca: c.otherCa.cert })],
    ['an expired certificate', 'CERT_HAS_EXPIRED', (c) => ({ pair: c.expired, ca: c.ca.cert })],
    ['a certificate for another name', 'ERR_TLS_CERT_ALTNAME_INVALID', (c) => ({ pair: c.wrongHost, ca: c.ca.cert })],
  ];
  test.each(cases)('%s: %s', async (_what, expected, make) => {
    const { pair, chain, ca } = make(certs);
    const port = await tlsServer(pair, chain);
    const node = await nodeTlsError(port, ca);
    const first = await failure(`wss://127.0.0.1:${port}/`, { ca });
    const second = await failure(`wss://127.0.0.1:${port}/`, { ca });
    const cause = first.cause as Cause;
    expect(node.code).toBe(expected);
    expect(cause.code).toBe(node.code);
    expect(cause.message).toBe(node.message);
    if (expected === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      expect({ reason: cause.reason, host: cause.host }).toEqual({ reason: node.reason, host: node.host });
    }
    expect(second.message).toBe(first.message);  // the same cause, the same words
    expect(first.message).toContain(`(${expected}).`);
  });

  test('the default trust store (Node\'s roots): a self-signed certificate, advice to pass ca', async () => {
    const port = await tlsServer(certs.selfSigned);
    const error = await failure(`wss://127.0.0.1:${port}/`);
    expect((error.cause as Cause).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(error.message).toContain('pass its CA certificate as the ca option');
  });

  test('ws:// to a TLS port says to use wss://; wss:// to a plain port says to use ws://', async () => {
    const port = await tlsServer(certs.server);
    const plain = await failure(`ws://127.0.0.1:${port}/`);
    expect(plain.message).toContain('If that port serves TLS (https, wss), use a wss:// URL.');
    const server = net.createServer((socket) => { socket.on('error', () => {}); socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')); });
    const plainPort = await listen(server);
    try {
      const secure = await failure(`wss://127.0.0.1:${plainPort}/`, { ca: certs.ca.cert });
      const node = await nodeTlsError(plainPort, certs.ca.cert);
      expect((secure.cause as Cause).code).toBe(node.code);
      expect(secure.message).toContain('use a ws:// URL');
    } finally {
      server.close();
    }
  });
});

describe('the C API mirror: the same words, no line end', () => {
  test('a refused port', async () => {
    const port = await getRefusedPort();
    const message = await new Promise<string>((resolve) => {
      let client: OH_NetStack_WebsocketClient | null = null;
      client = Construct(null, null, (_client, result) => {
        resolve(result.errorMessage);
        setImmediate(() => { if (client) Destroy(client); });
      }, null);
      expect(Connect(client!, `ws://127.0.0.1:${port}/`, { headers: null })).toBe(0);
    });
    expect(message).toBe(`cannot connect to ws://127.0.0.1:${port}: the connection to 127.0.0.1 port ${port} was refused (ECONNREFUSED)`);
    expect(message).not.toMatch(/\s$/);
  });
});

describe('bad arguments say what to change', () => {
  test('a port out of range', () => {
    expect(() => connect('ws://example.com:99999/')).toThrow('"ws://example.com:99999/" is not a valid URL: the port 99999 is out of range (0-65535).');
    expect(() => new WebSocket('wss://[::1]:70000/')).toThrow(/the port 70000 is out of range/);
  });

  test('no scheme: suggests ws://', () => {
    expect(() => connect('localhost:8080')).toThrow('"localhost:8080" has no scheme: did you mean "ws://localhost:8080"?');
    expect(() => connect('127.0.0.1:8080/chat')).toThrow('did you mean "ws://127.0.0.1:8080/chat"?');
  });

  test.skipIf(!hasOpenssl())('a private key passed as ca is refused', () => {
    const certs = generateTestCerts();
    try {
      expect(() => connect('wss://127.0.0.1:1/', { ca: certs.server.key })).toThrow(/^ca holds a private key/);
      expect(() => connect('wss://127.0.0.1:1/', { ca: certs.server.key + certs.ca.cert })).toThrow(/^ca holds a private key/);
      expect(() => connect('wss://127.0.0.1:1/', { ca: '-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n' }))
        .toThrow(/^ca holds no certificate/);
    } finally {
      removeTestCerts(certs);
    }
  });
});
