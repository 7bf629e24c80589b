'use strict';
// A consumer of the INSTALLED package (plain CommonJS: runs on every Node version of the
// matrix and needs nothing but the package). Run with its cwd in a project that has
// netstack-websocket in node_modules:
//   node smoke-client.js '{"ws":"ws://127.0.0.1:P","wss":"wss://localhost:Q","worker":true}'
// Does an echo round trip (a text and a binary message, then close 1000) through the
// OpenHarmony C API mirror, over ws://, over wss:// (certificate verified: the test CA is
// given with NODE_EXTRA_CA_CERTS) and from a worker_thread; optionally ("wssUntrusted") a
// wss:// server whose certificate nobody vouches for, which must be refused; optionally
// ("deflate") a 72 KiB text echoed with permessage-deflate through the package's WebSocket
// class (the server must accept the offer), whose message and close events must be instances
// of this Node's global MessageEvent and CloseEvent where it has them. Prints one line
//   SMOKE {"versions":{...},"binary":{...},"checks":{...}}
// and exits 0 when every check passed.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const PKG = 'netstack-websocket';
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS || 20000);

function loadNative(cwd) {
  return require(require.resolve(`${PKG}/native`, { paths: [cwd] }));
}

/** Connects, sends a text and a binary message, waits for both echoes, closes, destroys. */
function echo(native, url) {
  return new Promise((resolve) => {
    const text = `hello over ${url.split(':')[0]} from node ${process.version}`;
    const binary = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x00, 0x42]);
    const got = { open: null, echoes: [], error: null, close: null, destroy: null };
    let done = false;
    const finish = (extra) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...got, ...extra });
    };
    const timer = setTimeout(() => finish({ error: got.error || `timed out after ${TIMEOUT_MS} ms` }), TIMEOUT_MS);
    const client = native.OH_NetStack_WebsocketClient_Construct(
      (c, open) => {
        got.open = open.code;
        native.OH_NetStack_WebSocketClient_Send(c, text, Buffer.byteLength(text));
        native.OH_NetStack_WebSocketClient_Send(c, binary, binary.length);
      },
      (c, data, length) => {
        got.echoes.push(Buffer.from(data.subarray(0, length)).toString('hex'));
        if (got.echoes.length === 2) native.OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: 'bye' });
      },
      (c, err) => {
        got.error = `${err.errorCode} ${err.errorMessage}`;
        // A connection that never opened ends here (onClose need not follow).
        if (got.open === null) {
          got.destroy = native.OH_NetStack_WebsocketClient_Destroy(c);
          finish({});
        }
      },
      (c, close) => {
        got.close = close.code;
        got.destroy = native.OH_NetStack_WebsocketClient_Destroy(c);
        finish({});
      },
    );
    const rc = native.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions);
    if (rc !== 0) finish({ error: `Connect returned ${rc}` });
    got.expected = [Buffer.from(text).toString('hex'), binary.toString('hex')];
  });
}

/** The WebSocket class (permessage-deflate offered by default): a compressible text echoed. */
function deflateEcho(cwd, url) {
  const { WebSocket } = require(require.resolve(PKG, { paths: [cwd] }));
  return new Promise((resolve) => {
    const text = 'netstack-websocket permessage-deflate '.repeat(2000);
    const got = { extensions: null, echo: false, close: null, error: null, events: [] };
    const timer = setTimeout(() => resolve({ ...got, error: got.error || `timed out after ${TIMEOUT_MS} ms` }), TIMEOUT_MS);
    const ws = new WebSocket(url);
    ws.onopen = () => {
      got.extensions = ws.extensions;
      ws.send(text);
    };
    ws.onmessage = (e) => {
      got.echo = e.data === text;
      got.events.push(...eventProblems(e, 'MessageEvent', { data: text, origin: new URL(url).origin, lastEventId: '', source: null }));
      ws.close(1000);
    };
    ws.onerror = (e) => { got.error = e.message || 'error'; };
    ws.onclose = (e) => {
      got.close = e.code;
      got.events.push(...eventProblems(e, 'CloseEvent', { code: 1000, reason: '', wasClean: true }));
      clearTimeout(timer);
      resolve(got);
    };
  });
}

/** How an event differs from an instance of this Node's global class `name` with `attributes`. */
function eventProblems(event, name, attributes) {
  const problems = [];
  const Global = globalThis[name];
  if (typeof Global === 'function') {
    if (!(event instanceof Global)) problems.push(`not instanceof the global ${name}`);
    // Node 20's MessageEvent says "Event": the package exports a subclass with the right tag.
    if (event.constructor !== Global && !Object.prototype.isPrototypeOf.call(Global, event.constructor)) {
      problems.push(`constructor is not the global ${name}`);
    }
  }
  if (Object.prototype.toString.call(event) !== `[object ${name}]`) problems.push(`tag ${Object.prototype.toString.call(event)}`);
  for (const [key, value] of Object.entries(attributes)) {
    if (event[key] !== value) problems.push(`${name}.${key} is ${String(event[key]).slice(0, 40)}`);
  }
  return problems;
}

function ok(name, r) {
  if (name === 'deflate') return /^permessage-deflate/.test(r.extensions || '') && r.echo && r.close === 1000 && !r.error && r.events.length === 0;
  // Refused: no open, an error (1003, certificate verification failed), then the end.
  if (name === 'wss_untrusted') return r.open === null && /^1003 .*(certificate|cert didn't look good|X509_V_ERR)/i.test(r.error || '') && r.echoes.length === 0;
  return r.open === 101 && r.close === 1000 && r.destroy === 0 && !r.error &&
    JSON.stringify(r.echoes) === JSON.stringify(r.expected);
}

async function main() {
  const opts = JSON.parse(process.argv[2]);
  const cwd = process.cwd();
  const pkgDir = path.dirname(require.resolve(`${PKG}/package.json`, { paths: [cwd] }));
  const ngb = require(require.resolve('node-gyp-build', { paths: [pkgDir] }));
  const file = ngb.resolve(pkgDir);
  const native = loadNative(cwd);
  const out = {
    versions: {
      node: process.version, platform: process.platform, arch: process.arch, napi: process.versions.napi, modules: process.versions.modules,
      openssl: process.versions.openssl, uv: process.versions.uv, zlib: process.versions.zlib,
    },
    binary: {
      file: path.relative(pkgDir, file),
      sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
    },
    checks: {},
  };
  out.checks.ws = await echo(native, opts.ws);
  if (opts.wss) out.checks.wss = await echo(native, opts.wss);
  if (opts.wssUntrusted) out.checks.wss_untrusted = await echo(native, opts.wssUntrusted);
  if (opts.deflate) out.checks.deflate = await deflateEcho(cwd, opts.deflate);
  if (opts.worker) {
    out.checks.worker = await new Promise((resolve) => {
      const w = new Worker(__filename, { workerData: { url: opts.ws, cwd } });
      w.once('message', resolve);
      w.once('error', (e) => resolve({ error: `worker error: ${e.message}` }));
      w.once('exit', (code) => resolve({ error: `worker exited with ${code} before reporting` }));
    });
  }
  const failed = Object.entries(out.checks).filter(([k, r]) => !ok(k, r)).map(([k]) => k);
  out.passed = Object.keys(out.checks).length - failed.length;
  out.failed = failed;
  console.log(`SMOKE ${JSON.stringify(out)}`);
  process.exitCode = failed.length ? 1 : 0;
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exitCode = 1;
  });
} else {
  echo(loadNative(workerData.cwd), workerData.url).then((r) => parentPort.postMessage(r));
}
