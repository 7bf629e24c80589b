// Smoke test of the benchmark suite (bench/): `bench/bench.sh --tiny` with one run of three
// tiny workloads must build and start the Go echo server, run every available client in
// its own process (plain and wss://), print the table and write the JSON report.
// Proves the suite works; asserts nothing about speed (no timed assertions).
// Bun and Deno (the `bun` and `deno` clients) take part only if bench/prepare-runtimes.sh's
// cache already holds them: --tiny never downloads them (BENCH_RUNTIMES=cached says so again).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';

const root = path.resolve(__dirname, '../..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-bench-'));

afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(root, 'bench', 'bench.sh'), ...args], {
      cwd: root,
      env: { ...process.env, BENCH_RUNTIMES: 'cached' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface ReportRow {
  server: string;
  workload: string;
  client: string;
  status: string;
  median?: number;
  note?: string;
}

interface Report {
  mode: string;
  clients: Record<string, { available: boolean; reason?: string }>;
  results: ReportRow[];
}

// Generous: on a fresh machine the first run installs golang-go from Debian and builds the server.
test('npm run bench -- --tiny runs every client against the native echo server', async () => {
  const out = path.join(outDir, 'report.json');
  const workloads = ['rtt-32B', 'echo-1MiB', 'rtt-32B-wss'];
  const run = await runBench(['--tiny', '--runs', '1', '--workloads', workloads.join(','), '--no-chart', '--out', out], 280000);
  expect(run.code, `bench failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toContain('== server: go');
  expect(run.stdout).toMatch(/machine noise:/);

  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
  expect(report.mode).toBe('tiny');
  // The reference clients and our C mirror are always there (the addon is built for the tests).
  for (const name of ['ours-mirror', 'ws', 'ws-nobu', 'undici', 'raw']) {
    expect(report.clients[name]?.available, `${name}: ${report.clients[name]?.reason}`).toBe(true);
  }
  const available = Object.keys(report.clients).filter((name) => report.clients[name].available);
  for (const workload of workloads) {
    for (const client of available) {
      const row = report.results.find((r) => r.server === 'go' && r.workload === workload && r.client === client);
      expect(row, `${workload} ${client}`).toBeDefined();
      expect(row!.status, `${workload} ${client}: ${row!.note ?? ''}`).toBe('ok');
      expect(Number.isFinite(row!.median) && row!.median! > 0).toBe(true);
    }
  }
}, 300000);
