// Runs the vendored web-platform-tests websockets/ suite (test/wpt/wpt, see its README.md)
// in Node, against our WebSocket and against undici's (the devDependency: Node's own
// WebSocket implementation) in the same run (websockets/stream/tentative/ against both
// WebSocketStreams: ours, and the experimental one undici exports): one process per test page and variant
// (page.mjs), against WPT's handlers served by handler-server.mjs on 127.0.0.1 (ws and wss,
// with a CA made at run time and given to both through NODE_EXTRA_CA_CERTS).
//
// Our results are checked against expectations.json: every subtest must pass unless it is
// listed there with the reason it cannot (a browser-only feature, or binaryType's
// 'nodebuffer' default). Prints the differences from undici, writes build/wpt-results.json,
// and ends with "wpt: N passed, M failed" (M: unexpected failures, unexpected passes of a
// listed subtest, pages that crashed). Exit status 0 when M is 0.
//
// node test/wpt/run.mjs [--only ours] [filter...]     (WPT_JOBS: parallel pages, default 6)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServers } from './handler-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, 'wpt');
const repo = path.resolve(here, '../..');
const PASS = 0;
// Expected failures that pass where the environment allows (e.g. a newer Node).
// Also the subtests whose outcome depends on how much the kernel's socket buffers take
// (timing on 127.0.0.1): they pass or fail with the load of the machine.
const MAY_PASS = new Set(['node-version', 'kernel-buffers', 'send-completes', 'timer-margin']);

function parseArgs(argv) {
  const options = { impls: ['ours', 'undici'], filters: [] };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--only') options.impls = [argv[++i]];
    else options.filters.push(argv[i]);
  }
  return options;
}

/** Every test page with its variants: [{ id: 'websockets/x.any.html?wss', url path }]. */
function discover(filters) {
  const pages = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'handlers' && entry.name !== 'support' && entry.name !== 'resources') walk(file);
        continue;
      }
      const rel = path.relative(root, file).split(path.sep).join('/');
      const source = fs.readFileSync(file, 'utf8');
      let pagePath;
      let variants;
      if (/\.(any|window)\.js$/.test(entry.name)) {
        const globals = /^\/\/ META: *global=(.*)$/m.exec(source)?.[1].split(',').map((g) => g.trim()) ?? ['window'];
        if (entry.name.endsWith('.any.js') && !globals.includes('window')) continue;
        pagePath = rel.replace(/\.js$/, '.html');
        variants = [...source.matchAll(/^\/\/ META: *variant=(.*)$/gm)].map((m) => m[1].trim());
      } else if (entry.name.endsWith('.html') && source.includes('/resources/testharness.js')) {
        pagePath = rel;
        variants = [...source.matchAll(/<meta\s+name=["']?variant["']?\s+content=["']([^"']*)["']/gi)].map((m) => m[1]);
      } else {
        continue;
      }
      if (variants.length === 0) variants = [''];
      for (const variant of variants) {
        // WebSocket over HTTP/2 (RFC 8441): neither client speaks it.
        if (variant.includes('wpt_flags=h2')) continue;
        const id = pagePath + variant;
        if (filters.length === 0 || filters.some((f) => id.includes(f))) pages.push({ id, pagePath, variant });
      }
    }
  };
  walk(path.join(root, 'websockets'));
  return pages.sort((a, b) => a.id.localeCompare(b.id));
}

/** A CA and a server certificate for 127.0.0.1, made with the openssl CLI. */
function makeCerts(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key',
    '-out', 'ca.pem', '-days', '2', '-subj', '/CN=netstack-websocket WPT CA');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key',
    '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return {
    caFile: path.join(dir, 'ca.pem'),
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
    key: fs.readFileSync(path.join(dir, 'server.key')),
  };
}

/** Runs one page in its own process; resolves to { status, message, tests, errors }. */
function runPage(impl, url, caFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, 'page.mjs'), impl, url], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.stderr.on('data', (chunk) => { err += chunk; });
    // A guard only: the page ends its own tests after 10 s (60 s for long ones).
    const guard = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      const line = out.split('\n').find((l) => l.startsWith('#WPT#'));
      if (line) { resolve(JSON.parse(line.slice(5))); return; }
      resolve({ status: -1, message: `no result (exit ${code ?? signal}): ${err.trim().split('\n').slice(-3).join(' | ')}`, tests: [], errors: [] });
    });
  });
}

async function runAll(pages, impls, config, caFile, jobs) {
  const queue = [];
  for (const impl of impls) for (const page of pages) queue.push({ impl, page });
  const results = Object.fromEntries(impls.map((impl) => [impl, {}]));
  let done = 0;
  const worker = async () => {
    while (queue.length > 0) {
      const { impl, page } = queue.shift();
      const scheme = page.pagePath.includes('.https.') ? 'https' : 'http';
      const url = `${scheme}://${config.host}:${config.ports[scheme]}/${page.pagePath}${page.variant}`;
      results[impl][page.id] = await runPage(impl, url, caFile);
      done += 1;
      if (done % 50 === 0) process.stdout.write(`  ${done}/${impls.length * pages.length} pages\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return results;
}

/** The subtest outcomes of one page: [{ name, pass, message }], with a page-level entry when
 * the page itself failed (harness error, crash), since that hides its subtests. */
function outcomes(result) {
  const list = result.tests.map((t) => ({ name: t.name, pass: t.status === PASS, message: t.message }));
  if (result.status !== 0 && result.status !== 2) {
    list.push({ name: '(page)', pass: false, message: result.message ?? `harness status ${result.status}` });
  }
  return list;
}

function expectedFailure(expectations, id, name) {
  const entry = expectations.expected[id];
  if (!entry) return undefined;
  return entry[name] ?? entry['*'];
}

function main() {
  return (async () => {
    const options = parseArgs(process.argv.slice(2));
    const expectations = JSON.parse(fs.readFileSync(path.join(here, 'expectations.json'), 'utf8'));
    const pages = discover(options.filters);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wpt-'));
    const certs = makeCerts(tmp);
    const servers = await startServers({ root, cert: certs.cert, key: certs.key });
    const jobs = Number(process.env.WPT_JOBS ?? 6);
    const undiciVersion = JSON.parse(fs.readFileSync(path.join(repo, 'node_modules/undici/package.json'), 'utf8')).version;
    console.log(`WPT websockets/: ${pages.length} pages (variants), implementations: ${options.impls.join(', ')} ` +
      `(undici ${undiciVersion}), ${jobs} at a time, Node ${process.version}`);
    let results;
    try {
      results = await runAll(pages, options.impls, servers.config, certs.caFile, jobs);
    } finally {
      await servers.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }

    const totals = {};
    for (const impl of options.impls) {
      let passed = 0;
      let total = 0;
      for (const page of pages) {
        for (const o of outcomes(results[impl][page.id])) { total += 1; if (o.pass) passed += 1; }
      }
      totals[impl] = { passed, total };
      console.log(`${impl}: ${passed} of ${total} subtests pass`);
    }

    let failed = 0;
    let expectedCount = 0;
    const byReason = {};
    const problems = [];
    const seen = new Set();
    if (results.ours) {
      for (const page of pages) {
        for (const o of outcomes(results.ours[page.id])) {
          const key = `${page.id} :: ${o.name}`;
          seen.add(`${page.id}\u0000${o.name}`);
          const reason = expectedFailure(expectations, page.id, o.name);
          if (o.pass && reason !== undefined && expectations.expected[page.id]?.[o.name] !== undefined &&
            !MAY_PASS.has(reason)) {
            failed += 1;
            problems.push(`UNEXPECTED PASS ${key} (listed as: ${reason}); remove it from expectations.json`);
          } else if (!o.pass && reason === undefined) {
            failed += 1;
            problems.push(`FAIL ${key}: ${o.message ?? ''}`);
          } else if (!o.pass) {
            expectedCount += 1;
            byReason[reason] = (byReason[reason] ?? 0) + 1;
          }
        }
      }
      for (const [id, entry] of Object.entries(expectations.expected)) {
        for (const name of Object.keys(entry)) {
          if (name !== '*' && pages.some((p) => p.id === id) && !seen.has(`${id}\u0000${name}`)) {
            problems.push(`STALE expectation ${id} :: ${name} (no such subtest ran)`);
            failed += 1;
          }
        }
      }
    }

    if (results.ours && results.undici) {
      console.log('\nDifferences between ours and undici (same server, same run):');
      let differences = 0;
      for (const page of pages) {
        const mine = new Map(outcomes(results.ours[page.id]).map((o) => [o.name, o]));
        const theirs = new Map(outcomes(results.undici[page.id]).map((o) => [o.name, o]));
        for (const name of new Set([...mine.keys(), ...theirs.keys()])) {
          const a = mine.get(name);
          const b = theirs.get(name);
          if ((a?.pass ?? null) === (b?.pass ?? null)) continue;
          differences += 1;
          const show = (o) => (o === undefined ? 'absent' : o.pass ? 'PASS' : `FAIL (${(o.message ?? '').slice(0, 100)})`);
          const reason = expectedFailure(expectations, page.id, name);
          console.log(`  ${page.id} :: ${name}\n    ours: ${show(a)}${reason ? ` [expected: ${reason}]` : ''}\n    undici: ${show(b)}`);
        }
      }
      if (differences === 0) console.log('  none');
    }
    if (results.ours) {
      console.log(`\nExpected failures of ours: ${expectedCount} (${Object.entries(byReason).map(([r, n]) => `${r}: ${n}`).join('; ') || 'none'})`);
      console.log(`Reasons: ${Object.entries(expectations.reasons).map(([k, v]) => `${k} = ${v}`).join('; ')}`);
      for (const problem of problems) console.log(problem);
    }
    fs.mkdirSync(path.join(repo, 'build'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'build/wpt-results.json'), JSON.stringify({ totals, results }, null, 1));
    const passed = totals.ours?.passed ?? 0;
    console.log(`wpt: ${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  })();
}

process.exitCode = await main();
