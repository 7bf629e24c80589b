#!/usr/bin/env node
// What libwebsockets we build, so that drift is visible in every CI log: the pinned upstream
// and Debian versions, Debian's patches and ours in the order they are applied, and the
// upstream commits our patches carry. Also checks that patches/lws agrees with itself:
//  - every patch in `series` exists, every .patch file is in `series`, once;
//  - every patch of ours has a row in patches/lws/README.md and marks what it changes
//    (`netstack-websocket`);
//  - the whole series (Debian's, then ours) applies to the pinned source without fuzz;
//  - every row of README's upstream tables that says "ported as NNNN" names a patch of the
//    series that says it ports that commit, and every commit a patch ports has a row.
// Reads the patched tree that scripts/fetch-lws.sh left in the cache (it is there after any
// build) for Debian's series; without it, says so and checks the rest.
// Ends with "lws-patches: N passed, M failed" (scripts/test.sh counts it).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const patchesDir = path.join(root, 'patches/lws');
let passed = 0;
let failed = 0;
const check = (ok, what) => {
  if (ok) passed++;
  else { failed++; console.log(`  FAIL: ${what}`); }
  return ok;
};

const fetchScript = fs.readFileSync(path.join(root, 'scripts/fetch-lws.sh'), 'utf8');
const setting = (name) => (new RegExp(`^${name}="([^"]*)"`, 'm').exec(fetchScript) ?? [])[1];
const upstreamVersion = setting('LWS_UPSTREAM_VERSION');
const debianVersion = setting('LWS_DEBIAN_VERSION');
console.log(`libwebsockets ${upstreamVersion} as Debian ${debianVersion}`);
console.log(`  orig tarball sha256 ${setting('ORIG_SHA256')}`);
console.log(`  debian tarball sha256 ${setting('DEBIAN_SHA256')}`);
check(upstreamVersion && debianVersion && debianVersion.startsWith(`${upstreamVersion}-`), 'fetch-lws.sh pins an upstream version and a Debian version of it');

// Debian's patches, from the cached tree (fetch-lws.sh prints it; offline it fails: say so).
let tree = null;
try {
  tree = execFileSync('bash', [path.join(root, 'scripts/fetch-lws.sh')], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NETSTACK_LWS_NO_DOWNLOAD: '1' },
  }).trim().split('\n').pop();
} catch { tree = null; }
const readSeries = (file) => fs.readFileSync(file, 'utf8').split('\n')
  .map((l) => l.replace(/#.*/, '').trim().split(/\s+/)[0]).filter(Boolean);
if (tree && fs.existsSync(path.join(tree, 'debian/patches/series'))) {
  console.log(`Debian's patches (applied first), from ${tree}:`);
  for (const p of readSeries(path.join(tree, 'debian/patches/series'))) {
    const head = fs.readFileSync(path.join(tree, 'debian/patches', p), 'utf8');
    const subject = (/^(?:Subject: (?:\[PATCH\] )?|    |)(\S.*)$/m.exec(head.replace(/^(From|Author|Date|---|diff|index|\+\+\+).*$/gm, '')) ?? [])[1] ?? '';
    console.log(`  ${p}  ${subject.slice(0, 70)}`);
  }
  // A vendored copy (deps/libwebsockets, made by `npm pack` from a complete cached tree: it
  // names that tree in NETSTACK_TREE) counts as complete too; fetch-lws.sh prefers it.
  check(fs.existsSync(path.join(tree, '.netstack-ready')) || fs.existsSync(path.join(tree, 'NETSTACK_TREE')),
    `the cached tree ${tree} is completely patched`);
} else {
  console.log("Debian's patches: the patched tree is not in the cache (run npm run build first); not listed");
}

// Ours.
const series = readSeries(path.join(patchesDir, 'series'));
const files = fs.readdirSync(patchesDir).filter((f) => f.endsWith('.patch')).sort();
const readme = fs.readFileSync(path.join(patchesDir, 'README.md'), 'utf8');
check(new Set(series).size === series.length, 'no patch is listed twice in series');
for (const f of files) check(series.includes(f), `${f} is listed in series`);
const portedBy = new Map(); // upstream commit -> patch
console.log(`our patches (applied after Debian's, in series order): ${series.length}`);
for (const p of series) {
  const file = path.join(patchesDir, p);
  if (!check(fs.existsSync(file), `${p} (in series) exists`)) continue;
  const text = fs.readFileSync(file, 'utf8');
  const name = p.replace(/\.patch$/, '');
  check(readme.includes(`| ${name} |`), `${name} has a row in patches/lws/README.md`);
  check(/^\+.*netstack-websocket/m.test(text), `${name} marks what it changes with netstack-websocket`);
  const port = /^netstack-websocket: port of upstream libwebsockets (.*)$/m.exec(text);
  const commits = port ? [...port[1].matchAll(/\b([0-9a-f]{9})\b/g)].map((m) => m[1]) : [];
  for (const c of commits) portedBy.set(c, name.slice(0, 4));
  console.log(`  ${name}${commits.length ? `  (upstream ${commits.join(' + ')})` : ''}`);
}

// The whole series, Debian's then ours, applied to a scratch copy of the pinned source with no
// fuzz (fetch-lws.sh's `patch` would take a patch that only applies with fuzz): a patch that
// no longer fits the ones before it shows here, by name.
const cacheRoot = process.env.NETSTACK_WS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/root', '.cache'), 'netstack-websocket');
const origTarball = path.join(cacheRoot, 'downloads', `libwebsockets_${upstreamVersion}.orig.tar.gz`);
const debianTarball = path.join(cacheRoot, 'downloads', `libwebsockets_${debianVersion}.debian.tar.xz`);
if (fs.existsSync(origTarball) && fs.existsSync(debianTarball)) {
  const scratch = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'lws-series-'));
  try {
    execFileSync('tar', ['-xzf', origTarball, '-C', scratch, '--strip-components=1']);
    execFileSync('tar', ['-xJf', debianTarball, '-C', scratch]);
    const applyExactly = (file) => {
      try {
        const out = execFileSync('patch', ['-d', scratch, '-p1', '--forward', '--batch', '-F0', '-i', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return { ok: true, offsets: (out.match(/offset -?\d+ lines?/g) ?? []).length };
      } catch (e) { return { ok: false, offsets: 0, why: String(e.stdout ?? e.message).split('\n').filter((l) => /FAILED|fuzz|malformed/.test(l)).slice(0, 2).join('; ') }; }
    };
    let moved = 0;
    const debianSeries = readSeries(path.join(scratch, 'debian/patches/series'));
    for (const p of [...debianSeries.map((d) => path.join(scratch, 'debian/patches', d)), ...series.map((o) => path.join(patchesDir, o))]) {
      const r = applyExactly(p);
      moved += r.offsets ? 1 : 0;
      check(r.ok, `${path.basename(p)} applies without fuzz after the patches before it${r.why ? ` (${r.why})` : ''}`);
    }
    console.log(`the series (${debianSeries.length} Debian + ${series.length} ours) applied to a scratch copy without fuzz; ${moved} with line offsets`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
} else {
  console.log('the pinned tarballs are not in the cache: the series was not re-applied');
}

// README's upstream tables: | `commit` | ... | here |, "here" being the last cell.
const rows = [...readme.matchAll(/^\| `([0-9a-f]{9})` \|(.*)\|\s*$/gm)].map((m) => ({ commit: m[1], here: m[2].split('|').pop().trim() }));
const byCommit = new Map(rows.map((r) => [r.commit, r]));
const tally = {};
for (const r of rows) {
  const kind = /^ported as \d{4}/.test(r.here) ? 'ported' : r.here.split(/[:(]/)[0].trim();
  tally[kind] = (tally[kind] ?? 0) + 1;
  const m = /^ported as (\d{4})/.exec(r.here);
  if (m) check(portedBy.get(r.commit) === m[1], `upstream ${r.commit}: README says ported as ${m[1]}, and patch ${m[1]} says it ports it`);
}
for (const [c, p] of portedBy) check(byCommit.has(c), `upstream ${c} (ported by ${p}) has a row in README's upstream tables`);
const reviewed = (/reviewed through `([0-9a-f]{9})`/.exec(readme) ?? [])[1];
console.log(`upstream commits reviewed in README: ${rows.length} (${Object.entries(tally).map(([k, n]) => `${k}: ${n}`).join(', ')}), v4.3-stable through ${reviewed ?? '?'}`);
check(Boolean(reviewed), 'README says up to which v4.3-stable commit upstream was reviewed');
console.log(`lws-patches: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
