// One WPT test page, run in this Node process the way a window would run it: the page's
// scripts (testharness.js, the META scripts of a .any.js/.window.js test, or the <script>
// elements of an .html test, in document order) are fetched from the runner's HTTP server
// and evaluated in this global, which stands in for the window (self, window, location).
// The WebSocket implementation under test is installed as the global WebSocket (and
// CloseEvent), its WebSocketStream as WebSocketStream (and WebSocketError). Prints one line "#WPT#" + JSON {tests, status, message, errors} and exits.
//
// node page.mjs <ours|undici> <page URL>
import { createRequire } from 'node:module';
import { runInThisContext } from 'node:vm';

const require = createRequire(import.meta.url);
const [impl, pageUrl] = process.argv.slice(2);
const page = new URL(pageUrl);
const errors = [];

function install(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

if (impl === 'ours') {
  const ours = require('../../dist/index.js');
  install('WebSocket', ours.WebSocket);
  install('CloseEvent', ours.CloseEvent);
  // The proposal's WebSocketError is WebSocketStreamError here (see lib/websocket-stream.ts).
  install('WebSocketStream', ours.WebSocketStream);
  install('WebSocketError', ours.WebSocketStreamError);
} else if (impl === 'undici') {
  const undici = require('undici');
  install('WebSocket', undici.WebSocket);
  install('CloseEvent', undici.CloseEvent);
  // undici's experimental WebSocketStream (exported since 7.x).
  if (undici.WebSocketStream) install('WebSocketStream', undici.WebSocketStream);
  if (undici.WebSocketError) install('WebSocketError', undici.WebSocketError);
  // undici resolves relative URLs and takes the Origin from its own global origin.
  undici.setGlobalOrigin(page.href);
} else {
  throw new Error(`unknown implementation ${impl}`);
}
globalThis.window = globalThis;
globalThis.self = globalThis;
install('location', page);
// idlharness asks whether this global is a Window.
install('Window', Object.getPrototypeOf(globalThis).constructor);

process.on('uncaughtException', (err) => { errors.push(String(err?.stack ?? err)); });
process.on('unhandledRejection', (err) => { errors.push(String(err?.stack ?? err)); });

// As in a window: fetch() resolves relative URLs against the page (idlharness fetches
// /interfaces/*.idl), for both implementations alike.
const nodeFetch = globalThis.fetch;
install('fetch', (input, init) => nodeFetch(typeof input === 'string' ? new URL(input, page) : input, init));

/** A resource as text; an HTML page in the charset its <meta charset> names, as a browser. */
async function text(url) {
  const response = await nodeFetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  const charset = /<meta\s+charset=["']?([\w-]+)/i.exec(head)?.[1] ?? 'utf-8';
  return new TextDecoder(charset).decode(bytes);
}

let long = false;

/** The scripts of the page, in order, as { url?, source }; sets `long` for a long test. */
async function pageScripts() {
  const path = page.pathname;
  const scripts = [];
  const add = async (src) => {
    const url = new URL(src, page);
    scripts.push({ url, source: await text(url) });
  };
  if (/\.(any|window)\.html$/.test(path)) {
    // WPT's generated wrapper of a .any.js / .window.js test.
    const testUrl = new URL(path.replace(/\.html$/, '.js'), page);
    const source = await text(testUrl);
    const meta = [...source.matchAll(/^\/\/ META: *(\w+)=(.*)$/gm)].map(([, key, value]) => [key, value.trim()]);
    const title = meta.find(([key]) => key === 'title');
    const timeout = meta.find(([key]) => key === 'timeout');
    scripts.push({ source: `self.GLOBAL = { isWindow: () => true, isWorker: () => false, isShadowRealm: () => false };` +
      (title ? `self.META_TITLE = ${JSON.stringify(title[1])};` : '') });
    await add('/resources/testharness.js');
    await add('/resources/testharnessreport.js');
    long = timeout?.[1] === 'long';
    for (const [key, value] of meta) if (key === 'script') await add(new URL(value, testUrl).href);
    scripts.push({ url: testUrl, source });
    return scripts;
  }
  const html = await text(page);
  long = /<meta\s+name=["']?timeout["']?\s+content=["']?long/i.test(html);
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const src = /\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(match[1]);
    if (src) await add(src[1] ?? src[2] ?? src[3]);
    else scripts.push({ source: match[2] });
  }
  return scripts;
}

function report(result) {
  process.stdout.write(`#WPT#${JSON.stringify(result)}\n`, () => process.exit(0));
}

const scripts = await pageScripts();
if (process.env.WPT_DEBUG) for (const s of scripts) console.error("script", s.url?.href, s.source.length);
let harnessLoaded = false;
for (const script of scripts) {
  try {
    runInThisContext(script.source, { filename: script.url?.href ?? `${page.href} (inline)` });
  } catch (err) {
    errors.push(String(err?.stack ?? err));
  }
  if (!harnessLoaded && typeof globalThis.add_completion_callback === 'function') {
    harnessLoaded = true;
    const results = [];
    globalThis.add_result_callback((test) => {
      results.push({ name: test.name, status: test.status, message: test.message ?? null });
    });
    globalThis.add_completion_callback((_tests, status) => {
      report({ tests: results, status: status.status, message: status.message ?? null, errors });
    });
  }
}
if (!harnessLoaded) report({ tests: [], status: 1, message: 'testharness.js did not load', errors });
// The harness has no timeout in a shell: end the pending tests with TIMEOUT as a browser
// harness would (10 s, 60 s for a long test).
setTimeout(() => globalThis.timeout?.(), long ? 60000 : 10000);
