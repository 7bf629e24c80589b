// Certificates for the TLS tests, generated at test time with the openssl CLI (EC P-256 keys,
// a few hundred ms in all) into a fresh temporary directory. Nothing is checked in.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCerts {
  dir: string;
  /** The test CA (signs the server and expired certificates). */
  ca: KeyPair;
  /** Another, unrelated CA: for bundles where the right CA is not first, and wrong-CA cases. */
  otherCa: KeyPair;
  /** Signed by `ca`, SAN: DNS:localhost, IP:127.0.0.1, IP:::1. */
  server: KeyPair;
  /** Signed by `ca`, SAN: DNS:wrong.example only. */
  wrongHost: KeyPair;
  /** Signed by `ca`, valid in January 2020 only. SAN as `server`. */
  expired: KeyPair;
  /** Self-signed (its own CA), SAN as `server`. */
  selfSigned: KeyPair;
  /** Signed by `otherCa`, SAN as `server`. */
  otherCaServer: KeyPair;
  /** The CA that signs client certificates. */
  clientCa: KeyPair;
  /** A client certificate (CN=test-client) signed by `clientCa`, with a plain key. */
  client: KeyPair;
  /** The same client key, encrypted (PKCS#8, AES-256) with `clientPassphrase`. */
  clientEncryptedKey: string;
  clientPassphrase: string;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const SAN_LOCAL = 'DNS:localhost,IP:127.0.0.1,IP:::1';

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
default_ca = test_ca
[test_ca]
database = DIR/index.txt
new_certs_dir = DIR
serial = DIR/serial
default_md = sha256
policy = policy_any
copy_extensions = none
unique_subject = no
[policy_any]
commonName = supplied
[ext_self]
subjectKeyIdentifier = hash
subjectAltName = SAN_LOCAL
`;

function extFile(dir: string, name: string, san: string | null, usage: 'serverAuth' | 'clientAuth'): string {
  const file = path.join(dir, `${name}.ext`);
  fs.writeFileSync(file, [
    '[ext]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${usage}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    ...(san ? [`subjectAltName = ${san}`] : []),
    '',
  ].join('\n'));
  return file;
}

/** Generates every certificate the TLS tests use. Throws if openssl is missing. */
export function generateTestCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-ws-certs-'));
  const config = path.join(dir, 'openssl.cnf');
  fs.writeFileSync(config, CONFIG.replace(/DIR/g, dir).replace('SAN_LOCAL', SAN_LOCAL));
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, OPENSSL_CONF: config } });
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => fs.readFileSync(file(name), 'utf8');
  const newKey = (name: string) => run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}.key`));

  const makeCa = (name: string, cn: string): KeyPair => {
    newKey(name);
    run('req', '-config', config, '-x509', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${cn}`,
      '-days', '3', '-extensions', 'v3_ca', '-sha256', '-out', file(`${name}.crt`));
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };

  let serial = 1;
  const makeLeaf = (name: string, cn: string, caName: string, san: string | null, usage: 'serverAuth' | 'clientAuth'): KeyPair => {
    newKey(name);
    run('req', '-config', config, '-new', '-key', file(`${name}.key`), '-subj', `/CN=${cn}`, '-out', file(`${name}.csr`));
    run('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${caName}.crt`), '-CAkey', file(`${caName}.key`),
      '-set_serial', String(serial++), '-days', '3', '-sha256', '-extfile', extFile(dir, name, san, usage), '-extensions', 'ext',
      '-out', file(`${name}.crt`));
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };

  const ca = makeCa('ca', 'netstack-websocket test CA');
  const otherCa = makeCa('other-ca', 'netstack-websocket other CA');
  const clientCa = makeCa('client-ca', 'netstack-websocket client CA');
  const server = makeLeaf('server', 'localhost', 'ca', SAN_LOCAL, 'serverAuth');
  const wrongHost = makeLeaf('wrong-host', 'wrong.example', 'ca', 'DNS:wrong.example', 'serverAuth');
  const otherCaServer = makeLeaf('other-ca-server', 'localhost', 'other-ca', SAN_LOCAL, 'serverAuth');
  const client = makeLeaf('client', 'test-client', 'client-ca', null, 'clientAuth');

  // Expired: `openssl ca` can set explicit validity dates in the past.
  newKey('expired');
  run('req', '-config', config, '-new', '-key', file('expired.key'), '-subj', '/CN=localhost', '-out', file('expired.csr'));
  run('ca', '-config', config, '-batch', '-notext', '-in', file('expired.csr'), '-cert', file('ca.crt'), '-keyfile', file('ca.key'),
    '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extfile', extFile(dir, 'expired', SAN_LOCAL, 'serverAuth'),
    '-extensions', 'ext', '-out', file('expired.crt'));
  const expired = { cert: read('expired.crt'), key: read('expired.key') };

  // Self-signed leaf (it is its own issuer; no CA flag).
  newKey('self');
  run('req', '-config', config, '-x509', '-new', '-key', file('self.key'), '-subj', '/CN=localhost', '-days', '3', '-sha256',
    '-extensions', 'ext_self', '-out', file('self.crt'));
  const selfSigned = { cert: read('self.crt'), key: read('self.key') };

  const clientPassphrase = 'correct horse battery staple';
  run('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', file('client.key'), '-passout', `pass:${clientPassphrase}`, '-out', file('client-enc.key'));

  return {
    dir, ca, otherCa, server, wrongHost, expired, selfSigned, otherCaServer, clientCa, client,
    clientEncryptedKey: read('client-enc.key'), clientPassphrase,
  };
}

export function removeTestCerts(certs: TestCerts | null): void {
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
}
