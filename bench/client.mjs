// One client, one workload, one measured run, in this (child) process: started by run.mjs.
//
//   node --expose-gc bench/client.mjs run <client> <workload> <server-url> <full|quick|tiny>
//   node bench/client.mjs probe          which clients can be loaded here (JSON); those of
//                                        another runtime (bun, deno) are probed there
//   <runtime> bench/client.mjs probe-one <client>   one client, in its runtime (JSON)
//   node bench/client.mjs calibrate      a fixed CPU loop, timed 7 times (machine noise)
//
// Protocol on stdout: "MARK start" and "MARK end" around the measured part (the parent
// samples the server's CPU time there), then one line "RESULT {json}". CPU time is
// process.cpuUsage() of this process (all its threads) over the measured part only.
//
// The `bun` and `deno` clients run this same script in Bun and in Deno (run.mjs starts it
// with their binary): it uses node: modules and globals those runtimes provide too.
// process.cpuUsage() is getrusage(RUSAGE_SELF) in all three (checked against
// /proc/self/stat), process.memoryUsage().rss likewise comparable.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CLIENTS, childCommand, loadClient, preparePayload } from './clients.mjs';
import { findWorkload, makePayload } from './workloads.mjs';

const MiB = 1024 * 1024;

// bench/profile.sh: perf records only the measured part (perf record -D -1 --control).
const perfControl = process.env.BENCH_PERF_CTL
  ? { ctl: fs.openSync(process.env.BENCH_PERF_CTL, 'w'), ack: fs.openSync(process.env.BENCH_PERF_ACK, 'r') }
  : null;
// bench/profile.sh: longer runs for more samples.
const countScale = Number(process.env.BENCH_COUNT_SCALE) || 1;

function mark(what) {
  if (perfControl) {
    fs.writeSync(perfControl.ctl, what === 'start' ? 'enable\n' : 'disable\n');
    fs.readSync(perfControl.ack, Buffer.alloc(5));
  }
  process.stdout.write(`MARK ${what}\n`); // a pipe: written synchronously on Linux
}

function sizeOf(message) {
  if (typeof message === 'number') return message;
  if (typeof message === 'string') return message.length; // the payloads are ASCII
  return message.byteLength;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function gc() {
  if (typeof globalThis.gc === 'function') { // node --expose-gc, deno --v8-flags=--expose-gc
    globalThis.gc();
    globalThis.gc();
  } else if (globalThis.Bun) {
    globalThis.Bun.gc(true); // synchronous, full
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Sends `count` messages, `window` in flight; resolves when all echoes are back. */
function exchange(conn, setHandler, payload, count, window, latencies) {
  return new Promise((resolve, reject) => {
    if (count === 0) {
      resolve();
      return;
    }
    let sent = 0;
    let received = 0;
    let t = 0;
    setHandler((message) => {
      received++;
      if (received === 1 && sizeOf(message) !== payload.length) {
        reject(new Error(`echo of ${sizeOf(message)} bytes, sent ${payload.length}`));
        return;
      }
      if (latencies) latencies[received - 1] = performance.now() - t;
      if (received === count) {
        resolve();
        return;
      }
      if (sent < count) {
        sent++;
        if (latencies) t = performance.now();
        conn.send(payload);
      }
    });
    const first = Math.min(window, count);
    if (latencies) t = performance.now();
    while (sent < first) {
      sent++;
      conn.send(payload);
    }
  });
}

/** Page faults so far (NaN where the runtime cannot tell): on large messages, each new page
 * a message lands in costs a fault, and whether the allocator hands out fresh pages or
 * reused ones is what makes 1 MiB echoes fast or slow from run to run (see bench/README.md). */
function minorPageFaults() {
  return typeof process.resourceUsage === 'function' ? process.resourceUsage().minorPageFault : Number.NaN;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function runMessages(adapter, url, w, mode) {
  const payload = preparePayload(makePayload(w));
  let handler = () => {};
  const conn = await adapter.open(`${url}${w.deflate ? '/deflate' : '/'}`, {
    text: !w.binary, deflate: !!w.deflate, onMessage: (m) => handler(m),
  });
  const setHandler = (h) => { handler = h; };
  const window = w.kind === 'pipe' ? w.window : 1;
  const count = Math.round(w.count[mode] * countScale);
  await exchange(conn, setHandler, payload, w.warmup[mode], window, null);
  const latencies = w.kind === 'rtt' ? new Float64Array(count) : null;

  mark('start');
  const faults0 = minorPageFaults();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await exchange(conn, setHandler, payload, count, window, latencies);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const faults = minorPageFaults() - faults0;
  mark('end');

  await withTimeout(conn.close(), 5000, 'close').catch(() => {});
  const cpuUs = cpu.user + cpu.system;
  const result = {
    count, bytes: payload.length, wallMs, cpuUserMs: cpu.user / 1000, cpuSysMs: cpu.system / 1000,
    cpuUsPerMsg: cpuUs / count, cpuMsPerMsg: cpuUs / 1000 / count, userUsPerMsg: cpu.user / count,
    msgsPerSec: count / (wallMs / 1000), mibPerSec: (count * payload.length) / MiB / (wallMs / 1000),
    faultsPerMsg: faults / count,
  };
  if (latencies) {
    const sorted = Float64Array.from(latencies).sort();
    result.p50Us = percentile(sorted, 0.5) * 1000;
    result.p99Us = percentile(sorted, 0.99) * 1000;
  }
  return result;
}

/** Opens and cleanly closes `count` connections, `concurrency` at a time. */
function cycleConnections(adapter, url, count, concurrency) {
  return new Promise((resolve, reject) => {
    if (count === 0) {
      resolve();
      return;
    }
    let started = 0;
    let done = 0;
    const launch = () => {
      started++;
      adapter.open(url, { onMessage() {} })
        .then((conn) => conn.close())
        .then(() => {
          done++;
          if (started < count) launch();
          else if (done === count) resolve();
        }, reject);
    };
    for (let i = 0; i < Math.min(concurrency, count); i++) launch();
  });
}

async function runConnect(adapter, url, w, mode) {
  const count = Math.round(w.count[mode] * countScale);
  await cycleConnections(adapter, `${url}/`, w.warmup[mode], w.concurrency);
  mark('start');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await cycleConnections(adapter, `${url}/`, count, w.concurrency);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  mark('end');
  return {
    count, wallMs, cpuUserMs: cpu.user / 1000, cpuSysMs: cpu.system / 1000,
    connPerSec: count / (wallMs / 1000), cpuUsPerConn: (cpu.user + cpu.system) / count,
  };
}

async function runIdle(adapter, url, w, mode) {
  const count = Math.round(w.count[mode] * countScale);
  const target = `${url}/`;
  // Load everything a connection needs first, so the baseline holds it.
  const warm = await adapter.open(target, { onMessage() {} });
  await withTimeout(warm.close(), 5000, 'close').catch(() => {});
  gc();
  await sleep(300);
  gc();
  const before = process.memoryUsage();

  mark('start');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const conns = [];
  await new Promise((resolve, reject) => {
    let started = 0;
    const launch = () => {
      started++;
      adapter.open(target, { onMessage() {} }).then((conn) => {
        conns.push(conn);
        if (started < count) launch();
        else if (conns.length === count) resolve();
      }, reject);
    };
    for (let i = 0; i < Math.min(w.concurrency, count); i++) launch();
  });
  const openMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  mark('end');
  gc();
  await sleep(300);
  gc();
  const after = process.memoryUsage();
  const per = (key, sample = after) => (sample[key] - before[key]) / 1024 / count;
  // The first figure still holds what V8 grew its young generation to while the
  // connections were being opened (it was up to 3 KiB per connection here, and it varies
  // with small changes in what survives). V8 gives it back once the process idles: the
  // settled figure is what an application holding idle connections keeps.
  const settled = await settle(w.settleMs[mode]);
  return {
    count, wallMs: openMs, cpuUserMs: cpu.user / 1000, cpuSysMs: cpu.system / 1000,
    openPerSec: count / (openMs / 1000),
    kibPerConn: per('rss'), heapKibPerConn: per('heapUsed'), externalKibPerConn: per('external'),
    settledKibPerConn: per('rss', settled.usage), settledHeapKibPerConn: per('heapUsed', settled.usage),
    settleMs: settled.ms,
    rssBeforeMiB: before.rss / MiB, rssAfterMiB: after.rss / MiB,
    openConnections: conns.length,
  };
}

/** Idles for ms (a GC each second: V8 shrinks its young generation, and the pages go
 * back to the system some seconds later); returns the memory usage then. */
async function settle(ms) {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await sleep(1000);
    gc();
  }
  return { usage: process.memoryUsage(), ms: performance.now() - t0 };
}

async function run(clientName, workloadName, url, mode) {
  const w = findWorkload(workloadName);
  const adapter = await loadClient(clientName);
  const runner = { rtt: runMessages, pipe: runMessages, echo: runMessages, connect: runConnect, idle: runIdle }[w.kind];
  const result = await runner(adapter, url, w, mode);
  process.stdout.write(`RESULT ${JSON.stringify({ client: clientName, workload: w.name, version: adapter.version, pid: process.pid, ...result })}\n`);
}

/** A client of another runtime: probed in a child process of that runtime. */
function probeElsewhere(name, entry) {
  const command = childCommand(name);
  if (command.error) return { available: false, reason: command.error, about: entry.about };
  const child = spawnSync(command.cmd, [...command.args, fileURLToPath(import.meta.url), 'probe-one', name], {
    env: { ...process.env, ...command.env }, encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) {
    const why = child.error?.message ?? (child.stderr ?? '').trim().split('\n').slice(-1)[0] ?? `exit ${child.status}`;
    return { available: false, reason: `${entry.runtime}: ${why}`.slice(0, 200), about: entry.about };
  }
  return { ...JSON.parse(line.slice(7)), about: entry.about, deflate: entry.deflate };
}

async function probeOne(name) {
  const adapter = await loadClient(name);
  if (typeof globalThis.WebSocket !== 'function') throw new Error('no global WebSocket');
  process.stdout.write(`RESULT ${JSON.stringify({ available: true, version: adapter.version })}\n`);
}

async function probe() {
  const out = {};
  for (const [name, entry] of Object.entries(CLIENTS)) {
    if (entry.runtime) {
      out[name] = probeElsewhere(name, entry);
      continue;
    }
    if (name === 'ws-nobu') process.env.WS_NO_BUFFER_UTIL = '1'; // only for the check in loadWs
    try {
      const adapter = await entry.load();
      out[name] = { available: true, version: adapter.version, about: entry.about, deflate: entry.deflate };
    } catch (err) {
      out[name] = { available: false, reason: err.message, about: entry.about };
    }
  }
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function work(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + Math.imul(i, 2654435761)) | 0;
  return x;
}

function calibrate() {
  for (let round = 0; round < 20; round++) work(1e6); // warm-up: let the JIT settle
  const times = [];
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    sink ^= work(3e7);
    times.push(performance.now() - t0);
  }
  process.stdout.write(`RESULT ${JSON.stringify({ times, sink })}\n`);
}

const [command, ...args] = process.argv.slice(2);
const main = { run: () => run(...args), probe, 'probe-one': () => probeOne(args[0]), calibrate }[command];
if (!main) {
  console.error('usage: client.mjs run <client> <workload> <url> <mode> | probe | probe-one <client> | calibrate');
  process.exit(2);
}
Promise.resolve().then(main).then(
  () => process.exit(0),
  (err) => {
    console.error(`client ${args[0] ?? ''} ${args[1] ?? ''}: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
