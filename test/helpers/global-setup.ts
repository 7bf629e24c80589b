// Vitest global setup: the child-process and worker tests load dist/native.js, so compile
// lib/ with tsc when dist/ is missing or older than a source file. Never touches the addon.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const root = path.resolve(__dirname, '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const built = path.join(root, 'dist', 'native.js');
  const stale = !fs.existsSync(built) || fs.statSync(built).mtimeMs < newestMtime(path.join(root, 'lib'));
  if (!stale) return;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    // Leave it to the tests that need dist/ to fail with a clear message.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? String(err);
    console.warn(`global-setup: tsc -p tsconfig.build.json failed; dist/ may be missing or stale:\n${out}`);
  }
}
