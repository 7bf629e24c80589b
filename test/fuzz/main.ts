// npm run fuzz -- [--seed S] [--n N] [--face F[,F...]] [--seeds S1,S2,...] [--concurrency K]
//                 [--batch B] [--parallel P] [--slowdown X] [--report FILE] [--verbose] [--trace]
// Runs N cases per face (seeds S .. S+N-1, or the listed seeds), prints per face and
// category what failed with the seeds that show it, and ends with "fuzz: P passed, F failed".
// Cases that fail only with known defects (known-defects.ts) are counted apart and do not
// fail the run. Exit code 1 when a case failed otherwise.
//
// A case is reproduced alone with: npm run fuzz -- --face F --seeds S --verbose
import fs from 'node:fs';
import path from 'node:path';
import { RawServer } from '../conformance/raw-server';
import { generateTestCerts, removeTestCerts } from '../helpers/certs';
import { FACES, isFace, type Face } from './faces';
import { explain, KNOWN_DEFECTS, type KnownDefect } from './known-defects';
import { FUZZ_CATEGORIES } from './judge';
import { runCases, type CaseResult } from './runner';
import { caseSeed } from './rng';
import { generateCase } from './scenario';

interface Args {
  seed: number;
  n: number;
  seeds: number[] | null;
  faces: Face[];
  concurrency: number;
  batch: number;
  parallel: number;
  slowdown: number;
  report: string | null;
  verbose: boolean;
  trace: boolean;
  packageRoot: string;
  cDriver: string;
}

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

function parseArgs(argv: string[]): Args {
  const args: Args = {
    seed: 1, n: 100, seeds: null, faces: [...FACES], concurrency: 12, batch: 500, parallel: 2, slowdown: 1, report: null, verbose: false, trace: false,
    packageRoot: process.env.FUZZ_PACKAGE_ROOT ?? repoRoot,
    cDriver: process.env.FUZZ_C_DRIVER ?? path.join(repoRoot, 'build-clib', 'fuzz_client'),
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${argv[i - 1]} needs a number`);
      return v;
    };
    switch (argv[i]) {
      case '--seed': args.seed = number(); break;
      case '--n': args.n = number(); break;
      case '--seeds': args.seeds = value().split(',').map(Number); break;
      case '--face': {
        const faces = value().split(',');
        for (const f of faces) if (!isFace(f)) throw new Error(`unknown face ${f}; the faces are ${FACES.join(', ')}`);
        args.faces = faces as Face[];
        break;
      }
      case '--concurrency': args.concurrency = Math.max(1, number()); break;
      case '--batch': args.batch = Math.max(1, number()); break;
      case '--parallel': args.parallel = Math.max(1, number()); break;
      case '--slowdown': args.slowdown = Math.max(1, number()); break;
      case '--report': args.report = value(); break;
      case '--verbose': args.verbose = true; break;
      case '--trace': args.trace = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

/** A result without its trace: what the summary keeps of every case (50,000 may run). */
function stripForSummary(r: CaseResult): CaseResult {
  return { face: r.face, seed: r.seed, labels: r.labels, failures: r.failures, ms: r.ms, timeline: r.timeline };
}

interface FaceSummary {
  face: Face;
  cases: number;
  passed: number;
  failed: CaseResult[];
  known: Map<KnownDefect, CaseResult[]>;
  knownCases: number;
  seconds: number;
  all: CaseResult[];
}

/** A failing case is known when every one of its failures is explained by known defects. */
function classify(result: CaseResult): KnownDefect[] | null {
  const defects = new Set<KnownDefect>();
  for (const failure of result.failures) {
    const matched = explain(result, failure);
    if (!matched.length) return null;
    matched.forEach((d) => defects.add(d));
  }
  return [...defects];
}

function seedList(results: CaseResult[], max = 12): string {
  const seeds = results.map((r) => r.seed);
  return seeds.slice(0, max).join(', ') + (seeds.length > max ? `, ... (${seeds.length})` : '');
}

function printSummary(s: FaceSummary, verbose: boolean): void {
  const rate = s.cases / Math.max(s.seconds, 0.001);
  console.log(`fuzz ${s.face}: ${s.cases} cases in ${s.seconds.toFixed(1)} s (${rate.toFixed(1)} cases/s): `
    + `${s.passed} passed, ${s.failed.length} failed, ${s.knownCases} known`);
  if (verbose) {
    // Mean time of each step of a case (ms after its start), to see where the time goes.
    // (Sums, not lists: a long run has tens of thousands of cases, and the runner's loop
    // must not stall while the other faces' cases are still in flight.)
    const steps = new Map<string, { sum: number; n: number }>();
    const add = (step: string, value: number) => {
      const total = steps.get(step) ?? { sum: 0, n: 0 };
      total.sum += value;
      total.n += 1;
      steps.set(step, total);
    };
    for (const r of s.all) {
      for (const [, step, value] of (r.timeline ?? '').matchAll(/([a-z-]+) (\d+)/g)) add(step, Number(value));
      add('judged', r.ms);
    }
    console.log(`  mean ms: ${[...steps].map(([step, t]) => `${step} ${Math.round(t.sum / t.n)}`).join(', ')}`);
    const stalls = s.all.map((r) => Number(/runner-stall (\d+)/.exec(r.timeline ?? '')?.[1] ?? 0));
    console.log(`  runner stalls: longest ${Math.max(0, ...stalls)} ms; cases that saw one over 250 ms: ${stalls.filter((ms) => ms > 0).length}, over 1 s: ${stalls.filter((ms) => ms > 1000).length}`);
    const slowest = [...s.all].sort((a, b) => b.ms - a.ms).slice(0, 8);
    console.log(`  slowest: ${slowest.map((r) => `${r.seed} ${r.ms}ms [${r.labels.join(' ')}] ${r.timeline ?? ''}`).join('\n           ')}`);
  }
  for (const [defect, results] of s.known) {
    console.log(`  known defect ${defect.defect} (${defect.id}): ${results.length} case(s), seeds ${seedList(results)}`);
  }
  const byCategory = new Map<string, CaseResult[]>();
  for (const r of s.failed) {
    for (const category of new Set(r.failures.map((f) => f.category))) {
      byCategory.set(category, [...(byCategory.get(category) ?? []), r]);
    }
  }
  for (const [category, results] of byCategory) {
    console.log(`  FAILED ${category}: ${results.length} case(s), seeds ${seedList(results)}`);
    for (const r of results.slice(0, verbose ? results.length : 3)) {
      const f = r.failures.find((x) => x.category === category)!;
      console.log(`    seed ${r.seed} [${r.labels.join(' ')}]: ${f.detail.split('\n').join('\n      ')}`);
      for (const line of r.trace ?? []) console.log(`      ${line}`);
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seeds = args.seeds ?? Array.from({ length: args.n }, (_, i) => caseSeed(args.seed, i));
  if (args.faces.includes('clib') && !fs.existsSync(args.cDriver)) {
    throw new Error(`the C driver ${args.cDriver} is missing: build it with npm run build:clib, then cmake --build build-clib --target fuzz_client (npm run fuzz does both)`);
  }
  // TLS cases need the certificates before the first child starts (the children trust the
  // test CA through NODE_EXTRA_CA_CERTS, the C driver through SSL_CERT_FILE).
  const certs = generateTestCerts();
  const caFile = path.join(certs.dir, 'fuzz-ca.pem');
  fs.writeFileSync(caFile, certs.ca.cert);
  const plain = await RawServer.start();
  const secure = await RawServer.start({ tls: { cert: certs.server.cert, key: certs.server.key } });
  const servers = { plain, tls: () => Promise.resolve(secure) };
  const nodePreload = process.env.FUZZ_NODE_PRELOAD;
  const command = (face: Face) => {
    if (face === 'clib') return { file: args.cDriver, args: [], env: { ...process.env, SSL_CERT_FILE: caFile } };
    return {
      file: process.execPath,
      args: [path.join(__dirname, 'child.js'), args.packageRoot],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, ...(nodePreload ? { LD_PRELOAD: nodePreload } : {}) },
    };
  };

  const summaries: FaceSummary[] = [];
  const active = new Set<FaceSummary>();
  const allResults: CaseResult[] = [];
  const runFace = async (face: Face) => {
    const started = Date.now();
    const summary: FaceSummary = { face, cases: 0, passed: 0, failed: [], known: new Map(), knownCases: 0, seconds: 0, all: [] };
    active.add(summary);
    const options = { servers, command, concurrency: args.concurrency, batchSize: args.batch, slowdown: args.slowdown, trace: args.trace };
    await runCases(face, seeds, (seed) => generateCase(seed, face), options, (result) => {
      summary.cases += 1;
      summary.all.push(stripForSummary(result));
      if (!result.failures.length) {
        summary.passed += 1;
        return;
      }
      allResults.push(result);
      const known = classify(result);
      if (!known) {
        summary.failed.push(result);
        return;
      }
      summary.knownCases += 1;
      for (const d of known) summary.known.set(d, [...(summary.known.get(d) ?? []), result]);
    });
    summary.seconds = (Date.now() - started) / 1000;
    active.delete(summary);
    printSummary(summary, args.verbose);
    summaries.push(summary);
  };
  // Long runs say how far they are, every minute, on stderr.
  const progress = setInterval(() => {
    const running = [...active].map((s) => `${s.face} ${s.cases}/${seeds.length} (${s.failed.length} failed, ${s.knownCases} known)`);
    if (running.length) console.error(`fuzz: ${running.join('; ')}`);
  }, 60000);
  progress.unref();
  // Faces run side by side (a case mostly waits on the network): `parallel` at a time.
  const queue = [...args.faces];
  await Promise.all(Array.from({ length: Math.min(args.parallel, queue.length) }, async () => {
    for (let face = queue.shift(); face; face = queue.shift()) await runFace(face);
  }));
  clearInterval(progress);
  await secure.close();
  await plain.close();
  removeTestCerts(certs);

  // Known defects that did not show on the faces they concern: fixed? Then remove the entry.
  for (const defect of KNOWN_DEFECTS) {
    if (!defect.categories.some((c) => (FUZZ_CATEGORIES as readonly string[]).includes(c))) continue;  // the soak's
    const relevant = summaries.filter((s) => !defect.faces || defect.faces.includes(s.face));
    if (relevant.length && relevant.every((s) => !s.known.has(defect))) {
      console.log(`known defect ${defect.defect} (${defect.id}) did not show in this run on ${relevant.map((s) => s.face).join(', ')}: if it is fixed, remove it from test/fuzz/known-defects.ts`);
    }
  }
  if (args.report) {
    const failing = allResults.filter((r) => r.failures.length);
    fs.writeFileSync(args.report, `${JSON.stringify(failing.map((r) => ({ ...r, known: classify(r)?.map((d) => d.id) ?? null })), null, 1)}\n`);
  }
  const passed = summaries.reduce((n, s) => n + s.passed, 0);
  const failed = summaries.reduce((n, s) => n + s.failed.length, 0);
  const known = summaries.reduce((n, s) => n + s.knownCases, 0);
  if (args.verbose) {
    const cpu = process.cpuUsage();
    console.log(`fuzz: the runner used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU`);
  }
  console.log(`fuzz: known defects in ${known} case(s), not counted below`);
  console.log(`fuzz: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  console.log('fuzz: 0 passed, 1 failed');
  process.exit(1);  // children and servers may still be open
});
