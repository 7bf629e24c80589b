// The benchmark orchestrator (started by bench/bench.sh, i.e. `npm run bench`).
//
// Starts the echo servers (the native Go one, and `ws` for reference), each in its own
// process; then, for each server, several runs; in each run every workload, and for each
// workload every client, each in a fresh child process (bench/client.mjs) so that its CPU
// accounting is its own. Clients are interleaved (rotated each run) so slow drift of the
// machine hits all of them alike. Prints a table of medians, min-max, spread and ratio
// to `ws`, writes JSON (and an SVG chart) to bench/results/.
//
// Options:  --quick         smaller workloads, 2 runs, native server only (under 2 minutes)
//           --tiny          tiny workloads, 1 run, native server only (the smoke test)
//           --runs N        runs against the native server (default 5; quick 2; tiny 1)
//           --ref-runs N    runs against the ws reference server (default 2; idle-10k: 1)
//           --workloads a,b only these workloads (names: see bench/workloads.mjs)
//           --clients a,b   only these clients (names: see bench/clients.mjs)
//           --servers a,b   go, ws (default: both; quick and tiny: go)
//           --out FILE      the JSON file (default bench/results/<timestamp>.json)
//           --no-chart      no SVG/PNG chart
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENTS, childCommand } from './clients.mjs';
import { WORKLOADS } from './workloads.mjs';
import { renderChart } from './chart.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const buildDir = path.join(benchDir, '.build');

// ---- options ------------------------------------------------------------------------------
function parseArgs(argv) {
  const opts = { mode: 'full', runs: null, refRuns: null, workloads: null, clients: null, servers: null, out: null, chart: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') opts.mode = 'quick';
    else if (a === '--tiny') opts.mode = 'tiny';
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--ref-runs') opts.refRuns = Number(value());
    else if (a === '--workloads') opts.workloads = value().split(',');
    else if (a === '--clients') opts.clients = value().split(',');
    else if (a === '--servers') opts.servers = value().split(',');
    else if (a === '--out') opts.out = value();
    else if (a === '--no-chart') opts.chart = false;
    else if (a === '--cert') opts.cert = value();
    else if (a === '--key') opts.key = value();
    else if (a === '--ca') opts.ca = value();
    else throw new Error(`unknown option ${a} (see the top of bench/run.mjs)`);
  }
  // full: 5 runs against the native server, 2 against ws; quick: 2 runs, native server only.
  const defaults = { full: [5, 2, ['go', 'ws']], quick: [2, 1, ['go']], tiny: [1, 1, ['go']] }[opts.mode];
  opts.runs ??= defaults[0];
  opts.refRuns ??= defaults[1];
  opts.servers ??= defaults[2];
  return opts;
}

// ---- /proc ----------------------------------------------------------------------------------
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads), in ms, from /proc/<pid>/stat. */
function processCpuMs(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Whole-machine CPU counters (jiffies) from /proc/stat: busy, steal, total. */
function machineCpu() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = v;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: user + nice + system + irq + softirq, steal, total };
}

// ---- processes ------------------------------------------------------------------------------
const clientScript = path.join(benchDir, 'client.mjs');
// The wss:// certificate and key (bench.sh makes a fresh set for each invocation).
let certFile = null;
let keyFile = null;
const childEnv = { ...process.env };
delete childEnv.WS_NO_BUFFER_UTIL;

/** Starts a server process; resolves with { name, pid, ports, proc, version }. */
function startServer(name) {
  const spec = {
    go: {
      cmd: path.join(buildDir, 'echo-server'), args: ['-cert', certFile, '-key', keyFile],
      version: (() => {
        try {
          const changelog = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'golang-github-gorilla-websocket-dev']).toString();
          const go = execFileSync('go', ['version']).toString().split(' ')[2];
          return `gorilla/websocket ${changelog} (${go}), write-coalescing`;
        } catch {
          return 'gorilla/websocket';
        }
      })(),
    },
    ws: {
      cmd: process.execPath, args: [path.join(benchDir, 'ws-server.mjs'), '--cert', certFile, '--key', keyFile],
      version: `ws ${JSON.parse(fs.readFileSync(path.join(root, 'node_modules/ws/package.json'), 'utf8')).version} + bufferutil, Node ${process.versions.node}`,
    },
  }[name];
  if (!spec) throw new Error(`unknown server ${name} (go, ws)`);
  return new Promise((resolve, reject) => {
    const proc = spawn(spec.cmd, spec.args, { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${name} server did not start`)), 15000);
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`${name} server exited (${code})`)));
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const ports = JSON.parse(buffered.slice(0, nl));
      proc.stdout.resume();
      resolve({ name, pid: proc.pid, ports, proc, version: spec.version });
    });
  });
}

/** Runs one child (in Node, or in the runtime of `client`: bun, deno): resolves with
 * { result, serverCpuMs, error }. */
function runChild(args, client, serverPid, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const command = childCommand(client, childEnv);
    if (command.error) {
      resolve({ result: null, serverCpuMs: NaN, error: command.error });
      return;
    }
    const child = spawn(command.cmd, [...command.args, clientScript, ...args], {
      env: { ...childEnv, ...command.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let result = null;
    let s0 = NaN;
    let s1 = NaN;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line === 'MARK start') s0 = processCpuMs(serverPid);
        else if (line === 'MARK end') s1 = processCpuMs(serverPid);
        else if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
      }
    });
    child.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-4000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let error = null;
      if (timedOut) error = `timed out after ${timeoutMs / 1000} s`;
      else if (!result) {
        const lines = err.trim().split('\n').filter(Boolean);
        error = (lines.find((l) => l.startsWith('client ')) ?? lines.slice(-1)[0] ?? `exit ${code ?? signal}`).slice(0, 200);
      }
      if (result) result.childMs = Date.now() - t0;
      resolve({ result: error ? null : result, serverCpuMs: s1 - s0, error });
    });
  });
}

// ---- statistics and formatting ------------------------------------------------------------
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(value) {
  if (value == null || !Number.isFinite(value)) return '-';
  const a = Math.abs(value);
  if (a >= 100000) return `${(value / 1000).toFixed(0)}k`;
  if (a >= 10000) return `${(value / 1000).toFixed(1)}k`;
  if (a >= 100) return value.toFixed(0);
  if (a >= 10) return value.toFixed(1);
  if (a >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function pad(text, width, right = false) {
  text = String(text);
  return right ? text.padStart(width) : text.padEnd(width);
}

function summarize(samples, key) {
  const values = samples.map((s) => s[key]).filter((v) => Number.isFinite(v));
  if (!values.length) return null;
  const med = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: med, min, max, spreadPct: med ? ((max - min) / Math.abs(med)) * 100 : 0, n: values.length };
}

/** Why a client cannot run a workload (null: it can). */
function unsupported(w, client) {
  if (w.deflate && !CLIENTS[client].deflate) return 'no permessage-deflate';
  const max = CLIENTS[client].maxSend;
  if (max && w.size > max) return `sends at most ${max / 1024 / 1024} MiB per message`;
  return null;
}

// ---- main -----------------------------------------------------------------------------------
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.cert || !opts.key) throw new Error('--cert and --key are required (run bench/bench.sh, i.e. npm run bench)');
  certFile = path.resolve(opts.cert);
  keyFile = path.resolve(opts.key);
  // The authority that signed the server's certificate (bench.sh: --ca; else the certificate
  // itself, self-signed): Node's tls, undici, our addon and Bun trust it (Deno: DENO_CERT).
  childEnv.NODE_EXTRA_CA_CERTS = opts.ca ? path.resolve(opts.ca) : certFile;
  const started = Date.now();
  const workloads = opts.workloads ? opts.workloads.map((n) => {
    const w = WORKLOADS.find((x) => x.name === n);
    if (!w) throw new Error(`unknown workload ${n}`);
    return w;
  }) : WORKLOADS;

  // Which clients exist here (ours: only what is built; the engine and the WHATWG face
  // are included once they exist).
  const probe = await runChild(['probe'], null, process.pid, 120000);
  if (!probe.result) throw new Error(`client probe failed: ${probe.error}`);
  const wanted = opts.clients ?? Object.keys(CLIENTS);
  for (const name of wanted) if (!CLIENTS[name]) throw new Error(`unknown client ${name}`);
  const clients = wanted.filter((name) => probe.result[name]?.available);
  const missing = wanted.filter((name) => !probe.result[name]?.available);

  // Idle connections need file descriptors: one per connection in the client and server.
  let nofile = Infinity;
  try {
    nofile = Number(execFileSync('bash', ['-c', 'ulimit -n']).toString().trim()) || Infinity;
  } catch { /* unknown */ }

  console.log(`netstack-websocket benchmark · mode ${opts.mode} · ${opts.runs} run(s) against the native server, ` +
    `${opts.refRuns} against ws · Node ${process.versions.node} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`);
  console.log(`clients: ${clients.map((c) => `${c} (${probe.result[c].version})`).join(', ')}`);
  for (const name of missing) console.log(`  not included: ${name}: ${probe.result[name]?.reason ?? 'unknown'}`);

  // Machine noise: a fixed CPU loop, 7 times.
  const calibration = await runChild(['calibrate'], null, process.pid, 60000);
  const calTimes = calibration.result?.times ?? [];
  const cal = calTimes.length ? summarize(calTimes.map((t) => ({ t })), 't') : null;
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  if (cal) console.log(`machine noise: fixed CPU loop ${fmt(cal.median)} ms median, spread ${cal.spreadPct.toFixed(1)}% (min-max over 7); load average ${load}`);

  const results = [];
  const serverVersions = {};
  const cpuAt0 = machineCpu();
  for (const serverName of opts.servers) {
    const server = await startServer(serverName);
    const runs = serverName === 'go' ? opts.runs : opts.refRuns;
    const samples = new Map(); // key workload|client -> [{...result, serverCpuPct}]
    const failures = new Map();
    console.error(`[${serverName}] ${server.version}; ws://127.0.0.1:${server.ports.ws} wss://127.0.0.1:${server.ports.wss}`);
    for (let run = 0; run < runs; run++) {
      const runStart = Date.now();
      for (const w of workloads) {
        const maxRuns = w.maxRuns?.[opts.mode === 'quick' ? 'quick' : serverName];
        if (maxRuns != null && run >= maxRuns) continue;
        const order = clients.map((_, i) => clients[(i + run) % clients.length]);
        for (const client of order) {
          const key = `${w.name}|${client}`;
          if (unsupported(w, client)) continue;
          if (failures.has(key)) continue; // failed once: don't spend time on it again
          let count = w.count[opts.mode];
          if (w.kind === 'idle' && nofile < count + 200) count = Math.max(0, nofile - 200);
          const url = `${w.tls ? 'wss' : 'ws'}://127.0.0.1:${w.tls ? server.ports.wss : server.ports.ws}`;
          const timeoutMs = opts.mode === 'full' ? 120000 : 60000;
          const { result, serverCpuMs, error } = await runChild(
            ['run', client, w.name, url, opts.mode], client, server.pid, timeoutMs);
          if (error) {
            failures.set(key, error);
            console.error(`[${serverName} run ${run + 1}] ${w.name} ${client}: FAILED: ${error}`);
            continue;
          }
          result.serverCpuPct = (serverCpuMs / result.wallMs) * 100;
          if (!samples.has(key)) samples.set(key, []);
          samples.get(key).push(result);
        }
      }
      console.error(`[${serverName}] run ${run + 1}/${runs} done in ${((Date.now() - runStart) / 1000).toFixed(0)} s`);
    }
    server.proc.removeAllListeners('exit');
    server.proc.kill('SIGTERM');

    // Aggregate.
    for (const w of workloads) {
      const wsSamples = samples.get(`${w.name}|ws`);
      const wsMedian = wsSamples ? summarize(wsSamples, w.primary.key)?.median : null;
      const rawSamples = samples.get(`${w.name}|raw`);
      const rawMedian = rawSamples ? summarize(rawSamples, w.primary.key)?.median : null;
      for (const client of clients) {
        const key = `${w.name}|${client}`;
        const entry = { server: serverName, workload: w.name, client, metric: w.primary.key, unit: w.primary.unit, better: w.primary.better };
        const why = unsupported(w, client);
        if (why) {
          results.push({ ...entry, status: 'n/a', note: why });
          continue;
        }
        if (failures.has(key) && !samples.has(key)) {
          results.push({ ...entry, status: 'failed', note: failures.get(key) });
          continue;
        }
        const s = samples.get(key) ?? [];
        const primary = summarize(s, w.primary.key);
        if (!primary) {
          results.push({ ...entry, status: 'failed', note: failures.get(key) ?? 'no result' });
          continue;
        }
        const secondary = {};
        for (const m of w.secondary ?? []) secondary[m.key] = summarize(s, m.key);
        results.push({
          ...entry, status: 'ok', ...primary,
          ratioToWs: wsMedian ? primary.median / wsMedian : null,
          ratioToRaw: rawMedian ? primary.median / rawMedian : null,
          secondary,
          serverCpuPct: summarize(s, 'serverCpuPct')?.median ?? null,
          clientCpuPct: median(s.map((x) => ((x.cpuUserMs + x.cpuSysMs) / x.wallMs) * 100)),
          samples: s,
          version: s[0]?.version,
        });
      }
    }
    serverVersions[serverName] = server.version;
  }
  const cpuAt1 = machineCpu();
  const stealPct = ((cpuAt1.steal - cpuAt0.steal) / Math.max(1, cpuAt1.total - cpuAt0.total)) * 100;

  // ---- the table ----
  const lines = [];
  for (const serverName of opts.servers) {
    lines.push('');
    lines.push(`== server: ${serverName} — ${serverVersions[serverName]} ==`);
    lines.push(`${pad('client', 14)} ${pad('median', 10, true)} ${pad('min – max', 21, true)} ${pad('spread', 7, true)} ${pad('×ws', 7, true)} ${pad('×raw', 6, true)}  ${pad('also (medians)', 40)} ${pad('cli CPU', 8, true)} ${pad('srv CPU', 8, true)}`);
    for (const w of workloads) {
      const rows = results.filter((r) => r.server === serverName && r.workload === w.name);
      if (!rows.length) continue;
      lines.push(`-- ${w.name}: ${w.about} [n=${w.count[opts.mode]}; ${w.primary.unit}, ${w.primary.better} is better]`);
      for (const r of rows) {
        if (r.status !== 'ok') {
          lines.push(`${pad(r.client, 14)} ${pad(r.status, 10, true)}  ${r.note ?? ''}`);
          continue;
        }
        const also = (w.secondary ?? []).map((m) => `${fmt(r.secondary[m.key]?.median)} ${m.unit}`).join(', ');
        lines.push(`${pad(r.client, 14)} ${pad(fmt(r.median), 10, true)} ${pad(`${fmt(r.min)} – ${fmt(r.max)}`, 21, true)} ${pad(`${r.spreadPct.toFixed(0)}%`, 7, true)} ` +
          `${pad(r.ratioToWs != null ? `${r.ratioToWs.toFixed(2)}x` : '-', 7, true)} ${pad(r.ratioToRaw != null ? `${r.ratioToRaw.toFixed(2)}x` : '-', 6, true)}  ` +
          `${pad(also, 40)} ${pad(`${r.clientCpuPct.toFixed(0)}%`, 8, true)} ${pad(r.serverCpuPct != null ? `${r.serverCpuPct.toFixed(0)}%` : '-', 8, true)}`);
      }
    }
  }

  // ---- the issue's targets, for our clients against ws, on the native server ----
  const targets = [
    { workload: 'rtt-32B', text: 'client CPU per small round trip <= 0.25x ws', ok: (r) => r.ratioToWs <= 0.25 },
    { workload: 'pipe-64B', text: 'pipelined small messages/s >= 3x ws', ok: (r) => r.ratioToWs >= 3 },
    { workload: 'echo-1MiB', text: '1 MiB binary MiB/s >= 1.5x ws and >= 70% of raw', ok: (r) => r.ratioToWs >= 1.5 && (r.ratioToRaw == null || r.ratioToRaw >= 0.7) },
    { workload: 'connect', text: 'connects/s >= 1.5x ws', ok: (r) => r.ratioToWs >= 1.5 },
    { workload: 'idle-10k', text: 'RSS per idle connection <= 0.5x ws', ok: (r) => r.ratioToWs <= 0.5 },
    {
      workload: 'idle-10k', text: 'the same, settled (V8 idle)', key: 'settledKibPerConn',
      ok: (r) => r.ratioToWs <= 0.5,
    },
  ];
  const ours = clients.filter((c) => c.startsWith('ours-'));
  const targetServer = opts.servers.includes('go') ? 'go' : opts.servers[0];
  const targetLines = [];
  for (const t of targets) {
    const parts = [];
    for (const client of ours) {
      let r = results.find((x) => x.server === targetServer && x.workload === t.workload && x.client === client);
      if (t.key && r?.status === 'ok') {  // a secondary metric: its own ratio of medians to ws
        const ws = results.find((x) => x.server === targetServer && x.workload === t.workload && x.client === 'ws');
        const mine = r.secondary?.[t.key]?.median;
        const theirs = ws?.secondary?.[t.key]?.median;
        r = mine != null && theirs ? { ...r, ratioToWs: mine / theirs } : undefined;
      }
      if (!r || r.status !== 'ok' || r.ratioToWs == null) continue;
      const extra = t.workload === 'echo-1MiB' && r.ratioToRaw != null ? `, ${(r.ratioToRaw * 100).toFixed(0)}% of raw` : '';
      parts.push(`${client} ${r.ratioToWs.toFixed(2)}x${extra} ${t.ok(r) ? 'MET' : 'not met'}`);
    }
    if (parts.length) targetLines.push(`  ${pad(t.text, 50)} ${parts.join('; ')}`);
  }
  if (targetLines.length && opts.mode !== 'tiny') {
    lines.push('');
    lines.push(`targets (issue 5; server ${targetServer}, ratios of medians to ws in this run):`);
    lines.push(...targetLines);
  }
  // Issue 12: the faces that read with backpressure cost at most 10% against our WHATWG face.
  const backpressureLines = [];
  for (const workload of ['pipe-64B', 'echo-1MiB']) {
    const base = results.find((x) => x.server === targetServer && x.workload === workload && x.client === 'ours-whatwg');
    if (!base || base.status !== 'ok') continue;
    const parts = [];
    for (const client of ['ours-stream', 'ours-paused']) {
      const r = results.find((x) => x.server === targetServer && x.workload === workload && x.client === client);
      if (!r || r.status !== 'ok') continue;
      const ratio = r.median / base.median;
      parts.push(`${client} ${ratio.toFixed(2)}x ${ratio >= 0.9 ? 'MET' : 'not met'}`);
    }
    if (parts.length) backpressureLines.push(`  ${pad(`${workload} >= 0.9x ours-whatwg`, 50)} ${parts.join('; ')}`);
  }
  if (backpressureLines.length && opts.mode !== 'tiny') {
    lines.push('');
    lines.push(`targets (issue 12; server ${targetServer}, ratios of medians to ours-whatwg in this run):`);
    lines.push(...backpressureLines);
  }

  // Issue 17: against the runtimes' own clients (bun, deno) and raw, for our WHATWG face.
  const medianOf = (workload, client, key) => {
    const r = results.find((x) => x.server === targetServer && x.workload === workload && x.client === client);
    if (!r || r.status !== 'ok') return null;
    return key ? r.secondary?.[key]?.median ?? null : r.median;
  };
  const runtimeLines = [];
  const check = (text, values, ok, show) => {
    if (values.some((v) => v == null)) return;
    runtimeLines.push(`  ${pad(text, 50)} ${show(...values)} ${ok(...values) ? 'MET' : 'not met'}`);
  };
  const others = clients.filter((c) => !c.startsWith('ours-') && c !== 'raw'); // raw: the limit, not a client
  const bestOther = (workload) => {
    const values = others.map((c) => [c, medianOf(workload, c)]).filter(([, v]) => v != null);
    return values.length ? values.reduce((a, b) => (b[1] > a[1] ? b : a)) : null;
  };
  check('rtt-32B CPU/msg <= bun', [medianOf('rtt-32B', 'ours-whatwg'), medianOf('rtt-32B', 'bun')],
    (o, b) => o <= b, (o, b) => `ours-whatwg ${fmt(o)} µs, bun ${fmt(b)} µs (${(o / b).toFixed(2)}x)`);
  check('rtt-32B user CPU/msg <= 10 µs', [medianOf('rtt-32B', 'ours-whatwg', 'userUsPerMsg')],
    (o) => o <= 10, (o) => `ours-whatwg ${fmt(o)} µs user`);
  check('rtt-32B-text CPU/msg <= bun', [medianOf('rtt-32B-text', 'ours-whatwg'), medianOf('rtt-32B-text', 'bun')],
    (o, b) => o <= b, (o, b) => `ours-whatwg ${fmt(o)} µs, bun ${fmt(b)} µs (${(o / b).toFixed(2)}x)`);
  check('connect conn/s >= bun', [medianOf('connect', 'ours-whatwg'), medianOf('connect', 'bun')],
    (o, b) => o >= b, (o, b) => `ours-whatwg ${fmt(o)}, bun ${fmt(b)} (${(o / b).toFixed(2)}x)`);
  check('echo-1MiB MiB/s >= 95% of raw', [medianOf('echo-1MiB', 'ours-whatwg'), medianOf('echo-1MiB', 'raw')],
    (o, r) => o >= 0.95 * r, (o, r) => `ours-whatwg ${fmt(o)}, raw ${fmt(r)} (${((o / r) * 100).toFixed(0)}%)`);
  const best = bestOther('pipe-64B');
  if (best) {
    check('pipe-64B msg/s >= 4x the best other client', [medianOf('pipe-64B', 'ours-whatwg'), best[1]],
      (o, b) => o >= 4 * b, (o, b) => `ours-whatwg ${fmt(o)}, ${best[0]} ${fmt(b)} (${(o / b).toFixed(2)}x)`);
  }
  check("pipe-64B 'arraybuffer' >= 0.85x the default", [medianOf('pipe-64B', 'ours-whatwg-ab'), medianOf('pipe-64B', 'ours-whatwg')],
    (a, d) => a >= 0.85 * d, (a, d) => `ours-whatwg-ab ${fmt(a)}, ours-whatwg ${fmt(d)} (${(a / d).toFixed(2)}x)`);
  check('idle-10k settled KiB/conn <= raw', [medianOf('idle-10k', 'ours-whatwg', 'settledKibPerConn'), medianOf('idle-10k', 'raw', 'settledKibPerConn')],
    (o, r) => o <= r, (o, r) => `ours-whatwg ${fmt(o)}, raw ${fmt(r)} (${(o / r).toFixed(2)}x)`);
  if (runtimeLines.length && opts.mode !== 'tiny') {
    lines.push('');
    lines.push(`targets (issue 17; server ${targetServer}, medians in this run; only ratios well outside the spread count):`);
    lines.push(...runtimeLines);
  }

  const spreads = results.filter((r) => r.status === 'ok' && r.n > 1).map((r) => r.spreadPct);
  lines.push('');
  lines.push(`noise: median spread (max-min)/median over all cells ${spreads.length ? `${median(spreads).toFixed(1)}%` : '-'}; ` +
    `fixed CPU loop spread ${cal ? `${cal.spreadPct.toFixed(1)}%` : '-'}; CPU steal during the run ${stealPct.toFixed(1)}%; ` +
    `load average before ${load}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  lines.push('srv CPU: the echo server process\'s CPU time (utime+stime, /proc/<pid>/stat) over the measured part, in % of one core; cli CPU likewise for the client (process.cpuUsage).');
  lines.push('µs user: the client\'s user-space CPU per message (on loopback the kernel\'s TCP work for both ends is charged to system time; see raw for that floor).');
  console.log(lines.join('\n'));

  // ---- JSON (+ chart) ----
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = opts.out ?? path.join(benchDir, 'results', `${stamp}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  let commit = null;
  try {
    commit = execFileSync('git', ['-C', root, 'describe', '--always', '--dirty'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch { /* not a git checkout */ }
  const report = {
    date: new Date().toISOString(), mode: opts.mode, runs: opts.runs, refRuns: opts.refRuns, commit,
    machine: { node: process.versions.node, cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), loadavg: load, nofile },
    noise: { calibrationMs: calTimes, calibrationSpreadPct: cal?.spreadPct ?? null, medianCellSpreadPct: spreads.length ? median(spreads) : null, stealPct },
    servers: serverVersions, clients: probe.result,
    workloads: workloads.map((w) => ({ name: w.name, about: w.about, count: w.count[opts.mode], size: w.size, primary: w.primary })),
    results,
  };
  fs.writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
  console.log(`\nJSON: ${path.relative(process.cwd(), out)}`);
  if (opts.chart) {
    const charts = renderChart(report, out.replace(/\.json$/, ''));
    for (const file of charts) console.log(`chart: ${path.relative(process.cwd(), file)}`);
  }
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  process.exit(1);
});
