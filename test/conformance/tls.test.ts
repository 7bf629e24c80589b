// wss:// against a raw node:tls server with certificates generated at test time (openssl).
// The server certificate and host name are verified by default against Node's trust store;
// `ca` (one PEM, a PEM bundle or a list, the right CA not first), `servername`, client
// certificates with passphrases, and rejectUnauthorized: false are honoured.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateTestCerts, hasOpenssl, removeTestCerts, type KeyPair, type TestCerts } from '../helpers/certs';
import { loadClientUnderTest, type ClientFactory, type ClientOptions, type ClientUnderTest } from './client-under-test';
import { WAIT_MS, binary, details, payload, text, verdictCleanClose } from './harness';
import { RawServer, frame, type RawConnection } from './raw-server';
import type tls from 'node:tls';

const openssl = hasOpenssl();
let certs: TestCerts | null = null;
let factory: ClientFactory;
const servers: RawServer[] = [];
const clients: ClientUnderTest[] = [];
let counter = 0;

beforeAll(async () => {
  factory = await loadClientUnderTest();
  if (openssl) certs = generateTestCerts();
});

afterAll(async () => {
  for (const client of clients) if (!client.closed) { try { client.terminate(); } catch { /* gone */ } }
  await Promise.all(servers.map((s) => s.close()));
  removeTestCerts(certs);
});

async function tlsServer(pair: KeyPair, extra: tls.TlsOptions = {}, host = '127.0.0.1'): Promise<RawServer> {
  const server = await RawServer.start({ host, tls: { cert: pair.cert, key: pair.key, ...extra } });
  servers.push(server);
  return server;
}

function connect(server: RawServer, options: ClientOptions, urlBase = server.url) {
  const path = `/tls-${++counter}`;
  const connection = server.expect(path);
  const client = factory.connect(urlBase + path, { echo: true, ...options });
  clients.push(client);
  return { path, connection, client };
}

/** Connects, expects the handshake to succeed, echoes a text and a 1 MiB binary, closes cleanly. */
async function expectAccepted(server: RawServer, options: ClientOptions, urlBase?: string): Promise<RawConnection> {
  const { connection, client } = connect(server, options, urlBase);
  const first = await client.openOrError(WAIT_MS * 2);
  expect(first?.type, `${client.summary().join(' | ')}; server TLS errors: ${server.tlsErrors.map((e) => e.message).join('; ') || 'none'}`).toBe('open');
  const conn = await connection;
  const big = payload(1024 * 1024);
  await conn.write(Buffer.concat([frame.text('over TLS'), frame.binary(big)]));
  await verdictCleanClose(conn, client, { echoes: [text('over TLS'), binary(big)] });
  return conn;
}

/** The client must refuse: no open event, an error and a close event, and no HTTP request
 *  ever reaches the server (nothing is sent to a server that failed verification). */
async function expectRefused(server: RawServer, options: ClientOptions, urlBase?: string): Promise<ClientUnderTest> {
  const { path, client } = connect(server, options, urlBase);
  await client.until(() => client.closed, WAIT_MS);
  const observed = {
    opened: client.of('open').length > 0,
    errorEvent: client.of('error').length > 0,
    closeEvent: client.closed,
    requestsReceived: server.requestsFor(path).length,
  };
  expect(observed, details(null, client)).toEqual({ opened: false, errorEvent: true, closeEvent: true, requestsReceived: 0 });
  return client;
}

const t = (name: string, fn: () => Promise<void>) =>
  test(name, async (ctx) => {
    if (!openssl) ctx.skip('openssl is not installed');
    if (!factory.available) ctx.skip(factory.unavailableReason);
    await fn();
  });

test('the client under test is available', async () => {
  const f = await loadClientUnderTest();
  expect(f.available, f.unavailableReason).toBe(true);
});

describe('TLS: server certificate verification', () => {
  t('T1 a self-signed certificate is refused by default', async () => {
    await expectRefused(await tlsServer(certs!.selfSigned), {});
  });

  t('T2 a self-signed certificate is accepted when given as ca', async () => {
    await expectAccepted(await tlsServer(certs!.selfSigned), { tls: { ca: certs!.selfSigned.cert } });
  });

  t('T3 a certificate of a private CA is refused without ca (Node\'s trust store does not have it)', async () => {
    await expectRefused(await tlsServer(certs!.server), {});
  });

  t('T4 a certificate of a private CA is accepted with that CA as ca', async () => {
    await expectAccepted(await tlsServer(certs!.server), { tls: { ca: certs!.ca.cert } });
  });

  t('T5 ca as a list whose right CA is second: accepted', async () => {
    await expectAccepted(await tlsServer(certs!.server), { tls: { ca: [certs!.otherCa.cert, certs!.ca.cert] } });
  });

  t('T6 ca as one PEM bundle of 3 certificates, the right CA last: accepted', async () => {
    await expectAccepted(await tlsServer(certs!.server), { tls: { ca: [certs!.otherCa.cert, certs!.clientCa.cert, certs!.ca.cert].join('\n') } });
  });

  t('T7 ca bundle where the right CA is first and another follows: the other one is trusted too', async () => {
    await expectAccepted(await tlsServer(certs!.otherCaServer), { tls: { ca: [certs!.ca.cert, certs!.otherCa.cert] } });
  });

  t('T8 ca naming only an unrelated CA: refused', async () => {
    await expectRefused(await tlsServer(certs!.server), { tls: { ca: certs!.otherCa.cert } });
  });

  t('T9 wrong host name (certificate for wrong.example, URL 127.0.0.1): refused', async () => {
    await expectRefused(await tlsServer(certs!.wrongHost), { tls: { ca: certs!.ca.cert } });
  });

  t('T10 servername: wrong.example makes that certificate valid for a connection to 127.0.0.1, and is sent as SNI', async () => {
    const server = await tlsServer(certs!.wrongHost);
    const conn = await expectAccepted(server, { tls: { ca: certs!.ca.cert, servername: 'wrong.example' } });
    expect((conn.socket as tls.TLSSocket).servername).toBe('wrong.example');
  });

  t('T11 host name by DNS name: wss://localhost matches DNS:localhost', async () => {
    let server: RawServer;
    try {
      server = await tlsServer(certs!.server, {}, '::');
    } catch {
      server = await tlsServer(certs!.server);
    }
    await expectAccepted(server, { tls: { ca: certs!.ca.cert } }, `wss://localhost:${server.port}`);
  });

  t('T12 an expired certificate: refused', async () => {
    await expectRefused(await tlsServer(certs!.expired), { tls: { ca: certs!.ca.cert } });
  });

  t('T19 the right CA after a connection with a wrong CA to the same server: accepted (no stale trust store)', async () => {
    const server = await tlsServer(certs!.server);
    await expectAccepted(server, { tls: { ca: certs!.ca.cert } });
    await expectRefused(server, { tls: { ca: certs!.otherCa.cert } });
    await expectAccepted(server, { tls: { ca: certs!.ca.cert } });
  });

  for (const [name, pick] of [
    ['a self-signed', (c: TestCerts) => c.selfSigned],
    ['an expired', (c: TestCerts) => c.expired],
    ['a wrong-host', (c: TestCerts) => c.wrongHost],
  ] as const) {
    t(`T13 rejectUnauthorized: false accepts ${name} certificate`, async () => {
      await expectAccepted(await tlsServer(pick(certs!)), { tls: { rejectUnauthorized: false } });
    });
  }
});

describe('TLS: client certificates', () => {
  const requireClientCert = () => tlsServer(certs!.server, { requestCert: true, rejectUnauthorized: true, ca: certs!.clientCa.cert });
  const peerCn = (conn: RawConnection) => (conn.socket as tls.TLSSocket).getPeerCertificate().subject?.CN;

  t('T14 a server that requires a client certificate: refused without one', async () => {
    const server = await requireClientCert();
    const { path, client } = connect(server, { tls: { ca: certs!.ca.cert } });
    await client.until(() => client.closed, WAIT_MS);
    expect({ opened: client.of('open').length > 0, closeEvent: client.closed, requests: server.requestsFor(path).length }, details(null, client))
      .toEqual({ opened: false, closeEvent: true, requests: 0 });
  });

  t('T15 a client certificate and key: accepted, the server sees the certificate', async () => {
    const conn = await expectAccepted(await requireClientCert(), { tls: { ca: certs!.ca.cert, cert: certs!.client.cert, key: certs!.client.key } });
    expect(peerCn(conn)).toBe('test-client');
  });

  t('T16 an encrypted client key with the right passphrase: accepted', async () => {
    const conn = await expectAccepted(await requireClientCert(), {
      tls: { ca: certs!.ca.cert, cert: certs!.client.cert, key: certs!.clientEncryptedKey, passphrase: certs!.clientPassphrase },
    });
    expect(peerCn(conn)).toBe('test-client');
  });

  t('T17 an encrypted client key with a wrong passphrase: a clear error, nothing sent', async () => {
    const server = await requireClientCert();
    const { path, client } = connect(server, {
      tls: { ca: certs!.ca.cert, cert: certs!.client.cert, key: certs!.clientEncryptedKey, passphrase: 'wrong passphrase' },
    });
    await client.until(() => client.closed, WAIT_MS);
    const errors = client.of('error');
    const observed = {
      opened: client.of('open').length > 0,
      closeEvent: client.closed,
      requests: server.requestsFor(path).length,
      errorMentionsKeyOrPassphrase: errors.some((e) => /pass ?phrase|decrypt|private key|\bkey\b/i.test(e.message)),
    };
    expect(observed, details(null, client)).toEqual({ opened: false, closeEvent: true, requests: 0, errorMentionsKeyOrPassphrase: true });
  });

  t('T18 an encrypted client key without a passphrase: an error, no hang', async () => {
    const server = await requireClientCert();
    const { path, client } = connect(server, { tls: { ca: certs!.ca.cert, cert: certs!.client.cert, key: certs!.clientEncryptedKey } });
    await client.until(() => client.closed, WAIT_MS);
    expect({ opened: client.of('open').length > 0, errorEvent: client.of('error').length > 0, closeEvent: client.closed, requests: server.requestsFor(path).length }, details(null, client))
      .toEqual({ opened: false, errorEvent: true, closeEvent: true, requests: 0 });
  });
});
