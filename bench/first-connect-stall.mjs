// How long the first connection of a process blocks the event loop (issue 15): the first
// ws:// and the first wss:// connect, each in a fresh process, measured with
// perf_hooks.monitorEventLoopDelay (1 ms resolution) from just before connect() until the
// connection has closed. The package is loaded before measuring (loading it is not the
// connect's stall). wss:// trusts its self-signed server through NODE_EXTRA_CA_CERTS, so
// the default trust store (Node's roots + that file) is what gets loaded.
//
// Usage: node bench/first-connect-stall.mjs [--runs N] [--client ours,ws] [--package DIR]
// (--package: measure the built checkout at DIR instead of this one, e.g. for a before/after).
// Prints one line per case: the largest loop delay of each run, then median and max.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(arg('--runs', '7'));
const clients = arg('--client', 'ours,ws').split(',');
const packageDir = path.resolve(arg('--package', path.join(here, '..')));

if (process.argv[2] === '--measure') {
  await measure(process.argv[3], process.argv[4], process.argv[5]);
} else {
  await main();
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-stall-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const server = spawn(process.execPath, [path.join(here, 'ws-server.mjs'), '--cert', cert, '--key', key],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    server.on('exit', () => reject(new Error('the server exited')));
  });
  try {
    console.log(`${packageDir}: node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}, ${runs} fresh processes per case; ` +
      'largest event-loop delay (ms) from connect() to closed:');
    for (const client of clients) {
      for (const scheme of ['ws', 'wss']) {
        const url = `${scheme}://127.0.0.1:${ports[scheme]}/`;
        const samples = [];
        for (let i = 0; i < runs; i++) {
          const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', client, url, packageDir], {
            env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, encoding: 'utf8',
          });
          if (child.status !== 0) throw new Error(`${client} ${url}: ${child.stderr}`);
          samples.push(Number(child.stdout.trim()));
        }
        const sorted = [...samples].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)];
        console.log(`${client.padEnd(5)} first ${scheme}:// connect: median ${median.toFixed(1)} ms, ` +
          `max ${sorted.at(-1).toFixed(1)} ms  [${samples.map((s) => s.toFixed(1)).join(' ')}]`);
      }
    }
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// In the child: one first connection, the loop's largest delay meanwhile, in ms, on stdout.
async function measure(client, url, packageRoot) {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const { setTimeout: sleep } = await import('node:timers/promises');
  let connectAndClose;
  if (client === 'ours') {
    const { connect } = await import(path.join(packageRoot, 'dist', 'index.js'));
    connectAndClose = async () => {
      const socket = await connect(url);
      await socket.close(1000);
    };
  } else {
    const { default: WebSocket } = await import('ws');
    connectAndClose = () => new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.on('open', () => socket.close(1000));
      socket.on('close', resolve);
      socket.on('error', reject);
    });
  }
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await sleep(30);  // a few quiet samples first
  await connectAndClose();
  await sleep(30);
  histogram.disable();
  // The histogram's delays include the 1 ms sampling interval itself.
  process.stdout.write(`${Math.max(0, histogram.max / 1e6 - 1)}\n`);
}
